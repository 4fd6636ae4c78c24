package report

import "strings"

// dataProbes are reads of data that identity policies should scope to
// named resources. In the templates, P is the partition, A the account and
// R probeRegion; the resource names are ones no policy scopes to.
var dataProbes = []probe{
	{"s3:GetObject", "arn:P:s3:::orgiam-probe-any-bucket/any-object"},
	{"secretsmanager:GetSecretValue", "arn:P:secretsmanager:R:A:secret:orgiam-probe-AbCdEf"},
	{"kms:Decrypt", "arn:P:kms:R:A:key/00000000-0000-0000-0000-000000000000"},
	{"ssm:GetParameter", "arn:P:ssm:R:A:parameter/orgiam-probe"},
	{"dynamodb:Scan", "arn:P:dynamodb:R:A:table/orgiam-probe"},
}

// exposureProbes change who else may reach a resource.
var exposureProbes = []probe{
	{"s3:PutBucketPolicy", "arn:P:s3:::orgiam-probe-any-bucket"},
	{"s3:PutBucketAcl", "arn:P:s3:::orgiam-probe-any-bucket"},
	{"kms:PutKeyPolicy", "arn:P:kms:R:A:key/00000000-0000-0000-0000-000000000000"},
	{"lambda:AddPermission", "arn:P:lambda:R:A:function:orgiam-probe"},
	{"iam:UpdateAssumeRolePolicy", "arn:P:iam::A:role/orgiam-probe"},
	{"secretsmanager:PutResourcePolicy", "arn:P:secretsmanager:R:A:secret:orgiam-probe-AbCdEf"},
	{"sqs:SetQueueAttributes", "arn:P:sqs:R:A:orgiam-probe"},
	{"sns:SetTopicAttributes", "arn:P:sns:R:A:orgiam-probe"},
	{"ecr:SetRepositoryPolicy", "arn:P:ecr:R:A:repository/orgiam-probe"},
}

func evalProbes(s *subject, probes []probe, what string) []result {
	var out []result
	for _, id := range s.identities() {
		if !id.judged() {
			continue
		}
		if got := s.accessProbes(id, probes); len(got) > 0 {
			out = append(out, fail(id.arn, what+" on any resource: "+strings.Join(got, ", ")+". "+identityOnly))
		} else {
			out = append(out, pass(id.arn, "No "+strings.ToLower(what[:1])+what[1:]+" on any resource. "+identityOnly))
		}
	}
	return out
}

// CheckDataAccess fails a user or role (not an administrator) whose
// identity policies allow reading data of every resource of a kind:
// s3:GetObject, secretsmanager:GetSecretValue, kms:Decrypt,
// ssm:GetParameter or dynamodb:Scan on "*".
var CheckDataAccess = Check{
	ID: "iam_principal_unconstrained_data_access", Severity: SeverityMedium,
	Title:       "Ensure principals cannot read data of every resource (s3:GetObject, secretsmanager:GetSecretValue, kms:Decrypt, … on \"*\")",
	Rationale:   "A principal that may read every bucket, secret or key of the account turns one leaked credential into the whole account's data; scoped to named resources, the same credential exposes only those.",
	Remediation: "Scope the actions to the buckets, secrets, keys, parameters and tables the principal needs (Resource ARNs, or conditions such as aws:ResourceTag), or move them to resource policies that name the principal.",
	References: []string{
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege",
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html",
	},
	evaluate: func(s *subject) []result { return evalProbes(s, dataProbes, "Data reads") },
}

// CheckResourceExposure fails a user or role (not an administrator) whose
// identity policies allow changing the resource policy of every resource of
// a kind: s3:PutBucketPolicy, kms:PutKeyPolicy, lambda:AddPermission,
// iam:UpdateAssumeRolePolicy, … on "*".
var CheckResourceExposure = Check{
	ID: "iam_principal_unconstrained_resource_exposure", Severity: SeverityMedium,
	Title:       "Ensure principals cannot rewrite the resource policies of every resource (s3:PutBucketPolicy, kms:PutKeyPolicy, lambda:AddPermission, … on \"*\")",
	Rationale:   "Whoever may rewrite a resource policy may share the resource with any account on the internet; on \"*\" that is every bucket, key, function and role of the account.",
	Remediation: "Scope the policy-writing actions to the resources the principal administers, or keep them to an administrator role; an SCP or RCP can deny sharing outside the organization.",
	References: []string{
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_identity-vs-resource.html",
		"https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html",
	},
	evaluate: func(s *subject) []result { return evalProbes(s, exposureProbes, "Resource policy changes") },
}
