package fakeaws

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/orgiam/orgiam/internal/snapshot"
)

// MFA kinds of a user or root.
const (
	MFANone     = ""
	MFAVirtual  = "virtual"
	MFAHardware = "hardware"
)

// KeyUse is the last use of an access key (LastUsed nil: never used).
type KeyUse struct {
	LastUsed *time.Time
	Service  string
	Region   string
}

// User is a generated IAM user: the GAAD/ListAccessKeys shapes plus the
// state the credential report shows.
type User struct {
	snapshot.User
	PasswordEnabled     bool
	PasswordLastUsed    *time.Time // nil: never used (no_information)
	PasswordLastChanged *time.Time
	MFA                 string // MFANone, MFAVirtual, MFAHardware
	MFASerial           string
	MFAEnableDate       *time.Time
	KeyUse              []KeyUse // one per AccessKeys entry
}

// Root is the account root user.
type Root struct {
	Created          time.Time
	PasswordLastUsed *time.Time
	MFA              string
	// AccessKey is set when the root user has an access key.
	AccessKey *RootKey
}

// RootKey is the root user's access key.
type RootKey struct {
	Active  bool
	Created time.Time
	Use     KeyUse
}

// AccountData is the generated IAM contents of one account.
type AccountData struct {
	Meta             *AccountMeta
	Aliases          []string
	PasswordPolicy   *snapshot.PasswordPolicy // nil: none
	Root             Root
	Users            []*User
	Groups           []snapshot.Group
	Roles            []snapshot.Role
	Policies         []snapshot.ManagedPolicy // customer managed
	AWSManaged       []snapshot.ManagedPolicy // AWS managed policies attached in this account (AttachmentCount for it)
	InstanceProfiles []snapshot.InstanceProfile
	SAMLProviders    []snapshot.SAMLProvider
	OIDCProviders    []snapshot.OIDCProvider
	// VirtualMFADevices are every virtual device, assigned (users, root) or not.
	VirtualMFADevices []snapshot.MFADevice
	// RoleExternalIDs maps role name to the sts:ExternalId its trust requires.
	RoleExternalIDs map[string]string
}

// User returns a user by name (nil if none).
func (d *AccountData) User(name string) *User {
	for _, u := range d.Users {
		if u.UserName == name {
			return u
		}
	}
	return nil
}

// Role returns a role by name (nil if none).
func (d *AccountData) Role(name string) *snapshot.Role {
	for i := range d.Roles {
		if d.Roles[i].RoleName == name {
			return &d.Roles[i]
		}
	}
	return nil
}

// awsManagedDocs are the AWS managed policies the generator attaches
// (documents shortened where AWS's are long).
var awsManagedDocs = map[string]struct{ path, doc, desc string }{
	"AdministratorAccess":    {"/", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, "Provides full access to AWS services and resources."},
	"ReadOnlyAccess":         {"/", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*","s3:Get*","s3:List*","ec2:Describe*","cloudtrail:LookupEvents","organizations:Describe*","organizations:List*"],"Resource":"*"}]}`, "Provides read-only access to AWS services and resources."},
	"SecurityAudit":          {"/", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GenerateCredentialReport","iam:GetAccountAuthorizationDetails","iam:GetCredentialReport","iam:List*","iam:Get*","config:SelectAggregateResourceConfig","organizations:List*"],"Resource":"*"}]}`, "The security audit template grants access to read security configuration metadata."},
	"AWSSupportAccess":       {"/", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["support:*"],"Resource":"*"}]}`, "Allows users to access the AWS Support Center."},
	"AmazonS3ReadOnlyAccess": {"/", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*","s3:Describe*","s3-object-lambda:Get*","s3-object-lambda:List*"],"Resource":"*"}]}`, "Provides read only access to all buckets via the AWS Management Console."},
}

// AWSManagedPolicyNames lists the AWS managed policies the generator uses.
func AWSManagedPolicyNames() []string {
	var n []string
	for k := range awsManagedDocs {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

func (w *World) awsManagedArn(name string) string {
	return fmt.Sprintf("arn:%s:iam::aws:policy%s%s", w.opts.Partition, awsManagedDocs[name].path, name)
}

// AWSManagedPolicy returns the AWS managed policy of that name as GAAD shows
// it (AttachmentCount 0; nil if unknown).
func (w *World) AWSManagedPolicy(name string) *snapshot.ManagedPolicy {
	m, ok := awsManagedDocs[name]
	if !ok {
		return nil
	}
	r := w.rng("aws-managed", name)
	created := time.Date(2015, 2, 6, 18, 39, 46, 0, time.UTC)
	updated := created.AddDate(0, r.IntN(60), r.IntN(28))
	v := fmt.Sprintf("v%d", 1+r.IntN(5))
	return &snapshot.ManagedPolicy{
		PolicyName: name, PolicyID: "ANPA" + randString(r, upperAlnum, 17), Arn: w.awsManagedArn(name), Path: m.path,
		DefaultVersionID: v, IsAttachable: true, Description: m.desc, CreateDate: tp(created), UpdateDate: tp(updated),
		PolicyVersionList: []snapshot.PolicyVersion{{VersionID: v, IsDefaultVersion: true, CreateDate: tp(updated), Document: json.RawMessage(m.doc)}},
	}
}

func tp(t time.Time) *time.Time { t = t.UTC().Truncate(time.Second); return &t }

var userNames = []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "ci-deploy", "backup-svc", "terraform", "monitoring", "legacy-app"}

var regions = []string{"us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"}
var services = []string{"s3", "ec2", "iam", "sts", "lambda", "dynamodb", "cloudformation", "logs"}

var customerPolicyTemplates = []struct{ name, doc string }{
	{"s3-data-access", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::data-%s/*"}]}`},
	{"ec2-operator", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:Describe*","ec2:StartInstances","ec2:StopInstances"],"Resource":"*"}]}`},
	{"deploy-pipeline", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["cloudformation:*","iam:PassRole"],"Resource":"*"},{"Effect":"Deny","Action":"iam:CreateUser","Resource":"*"}]}`},
	{"billing-view", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["aws-portal:View*","ce:Get*"],"Resource":"*"}}`},
	{"logs-writer", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:*:%s:*"}]}`},
	{"kms-decrypt", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}}]}`},
}

const adminDoc = `{"Version":"2012-10-17","Statement":[{"Sid":"FullAdmin","Effect":"Allow","Action":"*","Resource":"*"}]}`

func (w *World) generateAccount(meta *AccountMeta) *AccountData {
	o := w.opts
	r := w.rng("account", meta.ID)
	p := o.Partition
	id := meta.ID
	now := o.Now
	created := meta.Joined
	daysAgo := func(min, max int) time.Time {
		age := max - min
		if age <= 0 {
			age = 1
		}
		t := now.Add(-time.Duration(min+r.IntN(age))*24*time.Hour - time.Duration(r.IntN(86400))*time.Second)
		if t.Before(created) {
			t = created.Add(time.Duration(r.IntN(86400)) * time.Second)
		}
		return t.UTC().Truncate(time.Second)
	}
	ident := func(prefix string) string { return prefix + randString(r, upperAlnum, 17) }
	d := &AccountData{Meta: meta, RoleExternalIDs: map[string]string{}}
	org := w.orgByID[meta.OrgID]
	orgPeers := org.AccountIDs

	// Account settings.
	if r.IntN(10) < 7 {
		d.Aliases = []string{meta.Name}
	}
	if r.IntN(10) < 6 {
		pp := &snapshot.PasswordPolicy{MinimumPasswordLength: int32(8 + r.IntN(9)), RequireSymbols: r.IntN(2) == 0, RequireNumbers: true,
			RequireUppercaseCharacters: r.IntN(3) > 0, RequireLowercaseCharacters: true, AllowUsersToChangePassword: true}
		if r.IntN(2) == 0 {
			pp.ExpirePasswords, pp.MaxPasswordAge = true, int32(90)
		}
		if r.IntN(2) == 0 {
			pp.PasswordReusePrevention = int32(5 + r.IntN(20))
		}
		d.PasswordPolicy = pp
	}
	d.Root.Created = created
	if r.IntN(3) > 0 {
		d.Root.PasswordLastUsed = tp(daysAgo(1, 400))
	}
	switch x := r.IntN(4); {
	case x < 2:
		d.Root.MFA = MFAVirtual
	case x == 2:
		d.Root.MFA = MFAHardware
	}
	if r.IntN(20) == 0 {
		k := &RootKey{Active: r.IntN(3) > 0, Created: daysAgo(200, 1000)}
		if r.IntN(2) == 0 {
			k.Use = KeyUse{LastUsed: tp(daysAgo(1, 200)), Service: services[r.IntN(len(services))], Region: regions[r.IntN(len(regions))]}
		}
		d.Root.AccessKey = k
	}

	// Customer managed policies.
	attach := map[string]int{} // policy arn -> attachment count
	boundaryUse := map[string]int{}
	hasAdminPolicy := r.IntN(10) < 3
	for i := 0; i < o.Size.Policies; i++ {
		t := customerPolicyTemplates[i%len(customerPolicyTemplates)]
		name := t.name
		if i >= len(customerPolicyTemplates) {
			name = fmt.Sprintf("%s-%d", t.name, i/len(customerPolicyTemplates)+1)
		}
		doc := t.doc
		if i == 0 && hasAdminPolicy {
			name, doc = "break-glass-admin", adminDoc
		} else if countVerbs(doc) > 0 {
			doc = fmt.Sprintf(doc, id)
		}
		path := "/"
		if r.IntN(3) == 0 {
			path = "/platform/"
		}
		pc := daysAgo(300, 1000)
		nv := 1 + r.IntN(4)
		def := nv
		if nv > 1 && r.IntN(4) == 0 {
			def = nv - 1
		}
		mp := snapshot.ManagedPolicy{PolicyName: name, PolicyID: ident("ANPA"), Arn: fmt.Sprintf("arn:%s:iam::%s:policy%s%s", p, id, path, name),
			Path: path, DefaultVersionID: fmt.Sprintf("v%d", def), IsAttachable: true, CreateDate: tp(pc), Description: "Managed by the platform team"}
		vt := pc
		for v := 1; v <= nv; v++ {
			vdoc := doc
			if v < nv {
				vdoc = fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Sid":"V%d"}]}`, v)
			}
			mp.PolicyVersionList = append(mp.PolicyVersionList, snapshot.PolicyVersion{VersionID: fmt.Sprintf("v%d", v), IsDefaultVersion: v == def, CreateDate: tp(vt), Document: json.RawMessage(vdoc)})
			mp.UpdateDate = tp(vt)
			vt = vt.Add(time.Duration(1+r.IntN(60*24)) * time.Hour)
			if vt.After(now) {
				vt = now.Add(-time.Hour)
			}
		}
		d.Policies = append(d.Policies, mp)
	}
	customer := func() snapshot.AttachedPolicy {
		mp := d.Policies[r.IntN(len(d.Policies))]
		return snapshot.AttachedPolicy{PolicyName: mp.PolicyName, PolicyArn: mp.Arn}
	}
	managed := func(name string) snapshot.AttachedPolicy {
		return snapshot.AttachedPolicy{PolicyName: name, PolicyArn: w.awsManagedArn(name)}
	}
	inline := func(name, doc string) snapshot.InlinePolicy {
		return snapshot.InlinePolicy{PolicyName: name, PolicyDocument: json.RawMessage(doc)}
	}

	// Groups.
	groupDefs := []struct {
		name     string
		attached []snapshot.AttachedPolicy
	}{
		{"admins", []snapshot.AttachedPolicy{managed("AdministratorAccess")}},
		{"developers", []snapshot.AttachedPolicy{managed("ReadOnlyAccess"), customer()}},
		{"auditors", []snapshot.AttachedPolicy{managed("SecurityAudit")}},
		{"data-readers", []snapshot.AttachedPolicy{managed("AmazonS3ReadOnlyAccess")}},
	}
	for i := 0; i < o.Size.Groups; i++ {
		gd := groupDefs[i%len(groupDefs)]
		name := gd.name
		if i >= len(groupDefs) {
			name = fmt.Sprintf("team-%d", i)
			gd.attached = []snapshot.AttachedPolicy{customer()}
		}
		g := snapshot.Group{Path: "/", GroupName: name, GroupID: ident("AGPA"), Arn: fmt.Sprintf("arn:%s:iam::%s:group/%s", p, id, name),
			CreateDate: tp(daysAgo(400, 1000)), GroupPolicyList: []snapshot.InlinePolicy{}, AttachedManagedPolicies: gd.attached}
		if r.IntN(3) == 0 {
			g.GroupPolicyList = append(g.GroupPolicyList, inline(name+"-inline", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sqs:SendMessage","sqs:ReceiveMessage"],"Resource":"*"}]}`))
		}
		d.Groups = append(d.Groups, g)
	}

	// Users.
	for i := 0; i < o.Size.Users; i++ {
		name := userNames[i%len(userNames)]
		if i >= len(userNames) {
			name = fmt.Sprintf("%s%d", name, i/len(userNames)+1)
		}
		path := "/"
		if r.IntN(4) == 0 {
			path = "/engineering/"
		}
		uc := daysAgo(30, 1000)
		u := &User{User: snapshot.User{Path: path, UserName: name, UserID: ident("AIDA"), Arn: fmt.Sprintf("arn:%s:iam::%s:user%s%s", p, id, path, name),
			CreateDate: tp(uc), UserPolicyList: []snapshot.InlinePolicy{}, GroupList: []string{}, AttachedManagedPolicies: []snapshot.AttachedPolicy{},
			Tags: []snapshot.Tag{}, AccessKeys: []snapshot.AccessKey{}}}
		if r.IntN(3) == 0 {
			u.Tags = append(u.Tags, snapshot.Tag{Key: "team", Value: []string{"platform", "data", "web"}[r.IntN(3)]})
		}
		for _, g := range d.Groups {
			if (g.GroupName == "admins" && r.IntN(5) == 0) || (g.GroupName != "admins" && r.IntN(3) == 0) {
				u.GroupList = append(u.GroupList, g.GroupName)
			}
		}
		if r.IntN(5) == 0 {
			u.UserPolicyList = append(u.UserPolicyList, inline("inline-"+name, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:*","Resource":"*"}]}`))
		}
		if r.IntN(5) == 0 {
			u.AttachedManagedPolicies = append(u.AttachedManagedPolicies, customer())
		}
		if r.IntN(10) == 0 {
			b := d.Policies[r.IntN(len(d.Policies))]
			u.PermissionsBoundary = &snapshot.Boundary{PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: b.Arn}
			boundaryUse[b.Arn]++
		}
		if r.IntN(10) < 6 { // console access
			u.PasswordEnabled = true
			u.PasswordLastChanged = tp(daysAgo(1, int(now.Sub(uc).Hours()/24)+2))
			if u.PasswordLastChanged.Before(uc) {
				u.PasswordLastChanged = tp(uc)
			}
			if r.IntN(6) > 0 {
				u.PasswordLastUsed = tp(daysAgo(0, 300))
			}
			switch x := r.IntN(20); {
			case x < 10:
				u.MFA = MFAVirtual
			case x < 13:
				u.MFA = MFAHardware
			}
		} else if r.IntN(10) == 0 {
			u.MFA = MFAVirtual // MFA without a password: a programmatic user with MFA-protected API access
		}
		if u.MFA != MFANone {
			u.MFAEnableDate = tp(daysAgo(1, int(now.Sub(uc).Hours()/24)+2))
			if u.MFA == MFAVirtual {
				u.MFASerial = fmt.Sprintf("arn:%s:iam::%s:mfa/%s", p, id, name)
				d.VirtualMFADevices = append(d.VirtualMFADevices, snapshot.MFADevice{SerialNumber: u.MFASerial, EnableDate: u.MFAEnableDate,
					User: &snapshot.MFAUser{UserName: name, UserID: u.UserID, Arn: u.Arn}})
			} else {
				u.MFASerial = "GAHT" + fmt.Sprintf("%08d", r.IntN(100000000))
			}
		}
		nk := 0
		switch x := r.IntN(20); {
		case x < 8:
		case x < 17:
			nk = 1
		default:
			nk = 2
		}
		for k := 0; k < nk; k++ {
			kc := daysAgo(1, 900)
			if kc.Before(uc) {
				kc = uc.Add(time.Duration(k+1) * time.Hour)
			}
			status := "Active"
			if r.IntN(7) == 0 {
				status = "Inactive"
			}
			u.AccessKeys = append(u.AccessKeys, snapshot.AccessKey{AccessKeyID: ident("AKIA")[:20], Status: status, CreateDate: tp(kc)})
			var use KeyUse
			switch x := r.IntN(10); {
			case x < 2: // never used
			case x < 5: // stale
				t := daysAgo(120, 700)
				if t.Before(kc) {
					t = kc.Add(time.Hour)
				}
				use = KeyUse{LastUsed: tp(t), Service: services[r.IntN(len(services))], Region: regions[r.IntN(len(regions))]}
			default: // recent
				t := daysAgo(0, 30)
				if t.Before(kc) {
					t = kc.Add(time.Hour)
				}
				use = KeyUse{LastUsed: tp(t), Service: services[r.IntN(len(services))], Region: regions[r.IntN(len(regions))]}
			}
			if use.Service == "iam" || use.Service == "sts" {
				use.Region = "us-east-1"
			}
			u.KeyUse = append(u.KeyUse, use)
		}
		d.Users = append(d.Users, u)
	}
	// One unassigned virtual device in some accounts; the root's virtual device.
	if r.IntN(4) == 0 {
		d.VirtualMFADevices = append(d.VirtualMFADevices, snapshot.MFADevice{SerialNumber: fmt.Sprintf("arn:%s:iam::%s:mfa/unused-device", p, id)})
	}
	rootArn := fmt.Sprintf("arn:%s:iam::%s:root", p, id)
	if d.Root.MFA == MFAVirtual {
		d.VirtualMFADevices = append(d.VirtualMFADevices, snapshot.MFADevice{SerialNumber: fmt.Sprintf("arn:%s:iam::%s:mfa/root-account-mfa-device", p, id),
			EnableDate: tp(created.Add(48 * time.Hour)), User: &snapshot.MFAUser{UserName: "<root_account>", UserID: id, Arn: rootArn}})
	}
	sort.Slice(d.VirtualMFADevices, func(i, j int) bool { return d.VirtualMFADevices[i].SerialNumber < d.VirtualMFADevices[j].SerialNumber })

	// Identity providers.
	var samlArn, oidcArn string
	if r.IntN(10) < 4 {
		samlArn = fmt.Sprintf("arn:%s:iam::%s:saml-provider/corp-idp", p, id)
		c := daysAgo(200, 900)
		d.SAMLProviders = append(d.SAMLProviders, snapshot.SAMLProvider{Arn: samlArn, CreateDate: tp(c), ValidUntil: tp(c.AddDate(10, 0, 0)),
			SAMLMetadataDocument: `<?xml version="1.0"?><EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com/saml"></EntityDescriptor>`})
	}
	if r.IntN(10) < 4 {
		oidcArn = fmt.Sprintf("arn:%s:iam::%s:oidc-provider/token.actions.githubusercontent.com", p, id)
		d.OIDCProviders = append(d.OIDCProviders, snapshot.OIDCProvider{Arn: oidcArn, Url: "token.actions.githubusercontent.com",
			ClientIDList: []string{"sts.amazonaws.com"}, ThumbprintList: []string{"6938fd4d98bab03faadb97b34396831e3780aea1"}, CreateDate: tp(daysAgo(100, 700))})
	}

	// Roles.
	trust := func(principal string, cond string) string {
		s := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":%s,"Action":"sts:AssumeRole"`, principal)
		if cond != "" {
			s += `,"Condition":` + cond
		}
		return s + "}]}"
	}
	addRole := func(path, name, trustDoc string, attached []snapshot.AttachedPolicy, inl []snapshot.InlinePolicy) *snapshot.Role {
		if attached == nil {
			attached = []snapshot.AttachedPolicy{}
		}
		if inl == nil {
			inl = []snapshot.InlinePolicy{}
		}
		ro := snapshot.Role{Path: path, RoleName: name, RoleID: ident("AROA"), Arn: fmt.Sprintf("arn:%s:iam::%s:role%s%s", p, id, path, name),
			CreateDate: tp(daysAgo(30, 1000)), AssumeRolePolicyDocument: json.RawMessage(trustDoc), InstanceProfileList: []snapshot.InstanceProfile{},
			RolePolicyList: inl, AttachedManagedPolicies: attached, Tags: []snapshot.Tag{}}
		if r.IntN(4) > 0 {
			ro.RoleLastUsed = &snapshot.RoleLastUsed{LastUsedDate: tp(daysAgo(0, 200)), Region: regions[r.IntN(len(regions))]}
		} else {
			ro.RoleLastUsed = &snapshot.RoleLastUsed{}
		}
		d.Roles = append(d.Roles, ro)
		return &d.Roles[len(d.Roles)-1]
	}
	mgmtRoot := fmt.Sprintf(`{"AWS":"arn:%s:iam::%s:root"}`, p, org.ManagementAccountID)
	collectCond := ""
	if o.ExternalID != "" {
		collectCond = fmt.Sprintf(`{"StringEquals":{"sts:ExternalId":%q}}`, o.ExternalID)
		d.RoleExternalIDs[o.CollectRoleName] = o.ExternalID
	}
	addRole(o.CollectRolePath, o.CollectRoleName, trust(mgmtRoot, collectCond), []snapshot.AttachedPolicy{managed("SecurityAudit"), managed("ReadOnlyAccess")}, nil)
	if !meta.Management {
		addRole("/", "OrganizationAccountAccessRole", trust(mgmtRoot, ""), []snapshot.AttachedPolicy{managed("AdministratorAccess")}, nil)
	}
	if r.IntN(2) == 0 {
		addRole("/", "aws-support", trust(fmt.Sprintf(`{"AWS":"arn:%s:iam::%s:root"}`, p, id), ""), []snapshot.AttachedPolicy{managed("AWSSupportAccess")}, nil)
	}
	for i := 0; i < o.Size.Roles; i++ {
		kind := i % 8
		switch kind {
		case 0: // EC2 service role with an instance profile
			name := fmt.Sprintf("ec2-app-%d", i)
			ro := addRole("/service-role/", name, trust(`{"Service":"ec2.amazonaws.com"}`, ""), []snapshot.AttachedPolicy{customer()}, nil)
			ip := snapshot.InstanceProfile{Path: "/", InstanceProfileName: name, InstanceProfileID: ident("AIPA"), Arn: fmt.Sprintf("arn:%s:iam::%s:instance-profile/%s", p, id, name),
				CreateDate: ro.CreateDate, Roles: []snapshot.RoleRef{{Path: ro.Path, RoleName: ro.RoleName, RoleID: ro.RoleID, Arn: ro.Arn}}, Tags: []snapshot.Tag{}}
			d.InstanceProfiles = append(d.InstanceProfiles, ip)
			inList := ip
			inList.Tags = nil
			ro.InstanceProfileList = append(ro.InstanceProfileList, inList)
		case 1: // Lambda execution role
			addRole("/service-role/", fmt.Sprintf("lambda-exec-%d", i), trust(`{"Service":"lambda.amazonaws.com"}`, ""), nil,
				[]snapshot.InlinePolicy{inline("logs", fmt.Sprintf(customerPolicyTemplates[4].doc, id))})
		case 2: // cross-account trust inside the organization
			peer := orgPeers[r.IntN(len(orgPeers))]
			addRole("/", fmt.Sprintf("cross-account-%d", i), trust(fmt.Sprintf(`{"AWS":"arn:%s:iam::%s:root"}`, p, peer), ""), []snapshot.AttachedPolicy{managed("ReadOnlyAccess")}, nil)
		case 3: // trust to an account outside the organization, with an external id
			ext := w.outside[r.IntN(len(w.outside))]
			name := fmt.Sprintf("vendor-access-%d", i)
			eid := "vendor-" + randString(r, lowerAlnum, 12)
			d.RoleExternalIDs[name] = eid
			addRole("/", name, trust(fmt.Sprintf(`{"AWS":"arn:%s:iam::%s:root"}`, p, ext), fmt.Sprintf(`{"StringEquals":{"sts:ExternalId":%q}}`, eid)),
				[]snapshot.AttachedPolicy{managed("SecurityAudit")}, nil)
		case 4: // SAML federated role (or a plain admin role when there is no provider)
			if samlArn != "" {
				addRole("/", fmt.Sprintf("saml-admin-%d", i), fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":%q},"Action":"sts:AssumeRoleWithSAML","Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}]}`, samlArn),
					[]snapshot.AttachedPolicy{managed("AdministratorAccess")}, nil)
			} else {
				addRole("/", fmt.Sprintf("ops-admin-%d", i), trust(fmt.Sprintf(`{"AWS":"arn:%s:iam::%s:root"}`, p, id), `{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`), []snapshot.AttachedPolicy{managed("AdministratorAccess")}, nil)
			}
		case 5: // OIDC federated role
			if oidcArn != "" {
				addRole("/", fmt.Sprintf("github-deploy-%d", i), fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":%q},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"repo:example/*"}}}]}`, oidcArn),
					[]snapshot.AttachedPolicy{customer()}, nil)
			} else {
				addRole("/", fmt.Sprintf("batch-job-%d", i), trust(`{"Service":"ecs-tasks.amazonaws.com"}`, ""), []snapshot.AttachedPolicy{customer()}, nil)
			}
		case 6: // role with an inline admin policy in some accounts
			doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":"*"}]}`
			if r.IntN(3) == 0 {
				doc = adminDoc
			}
			ro := addRole("/", fmt.Sprintf("automation-%d", i), trust(fmt.Sprintf(`{"AWS":"arn:%s:iam::%s:root"}`, p, org.ManagementAccountID), ""), nil, []snapshot.InlinePolicy{inline("automation", doc)})
			if r.IntN(3) == 0 {
				b := d.Policies[r.IntN(len(d.Policies))]
				ro.PermissionsBoundary = &snapshot.Boundary{PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: b.Arn}
				boundaryUse[b.Arn]++
			}
		default: // cross-account read role trusted by another organization account, tagged
			peer := orgPeers[r.IntN(len(orgPeers))]
			ro := addRole("/", fmt.Sprintf("readonly-%d", i), trust(fmt.Sprintf(`{"AWS":["arn:%s:iam::%s:root","arn:%s:iam::%s:role/ci"]}`, p, peer, p, org.ManagementAccountID), ""),
				[]snapshot.AttachedPolicy{managed("ReadOnlyAccess")}, nil)
			ro.Tags = append(ro.Tags, snapshot.Tag{Key: "owner", Value: "security"})
		}
	}

	// Attachment counts and the AWS managed policies in use.
	count := func(list []snapshot.AttachedPolicy) {
		for _, a := range list {
			attach[a.PolicyArn]++
		}
	}
	for _, u := range d.Users {
		count(u.AttachedManagedPolicies)
	}
	for _, g := range d.Groups {
		count(g.AttachedManagedPolicies)
	}
	for _, ro := range d.Roles {
		count(ro.AttachedManagedPolicies)
	}
	for i := range d.Policies {
		d.Policies[i].AttachmentCount = int32(attach[d.Policies[i].Arn])
		d.Policies[i].PermissionsBoundaryUsageCount = int32(boundaryUse[d.Policies[i].Arn])
	}
	for _, name := range AWSManagedPolicyNames() {
		if n := attach[w.awsManagedArn(name)]; n > 0 {
			mp := w.AWSManagedPolicy(name)
			mp.AttachmentCount = int32(n)
			d.AWSManaged = append(d.AWSManaged, *mp)
		}
	}
	return d
}

func countVerbs(s string) int {
	n := 0
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '%' && s[i+1] == 's' {
			n++
		}
	}
	return n
}
