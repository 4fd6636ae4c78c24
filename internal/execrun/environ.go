package execrun

import (
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Variables exec sets for each item's command. ORGIAM_REGION is also
// orgiam's own --region setting, so an orgiam run by the command calls STS
// and Organizations in the item's region, as AWS_REGION says.
const (
	EnvAccountID   = "ORGIAM_ACCOUNT_ID"
	EnvAccountName = "ORGIAM_ACCOUNT_NAME"
	EnvRegion      = "ORGIAM_REGION"
	EnvParams      = "ORGIAM_PARAMS"
)

// dropped are the variables of orgiam's own environment a command never
// sees: every other way to name credentials, a profile or a region, which
// would win over (or mix with) the item's. The ORGIAM_* settings of this
// run are dropped too: they are exec's, not the command's.
var dropped = map[string]bool{
	"AWS_ACCESS_KEY_ID": true, "AWS_SECRET_ACCESS_KEY": true, "AWS_SESSION_TOKEN": true,
	"AWS_SECURITY_TOKEN": true, "AWS_CREDENTIAL_EXPIRATION": true, "AWS_ACCOUNT_ID": true,
	"AWS_PROFILE": true, "AWS_DEFAULT_PROFILE": true,
	"AWS_CONTAINER_CREDENTIALS_FULL_URI": true, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": true,
	"AWS_CONTAINER_AUTHORIZATION_TOKEN": true, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": true,
	"AWS_WEB_IDENTITY_TOKEN_FILE": true, "AWS_ROLE_ARN": true, "AWS_ROLE_SESSION_NAME": true,
	"AWS_REGION": true, "AWS_DEFAULT_REGION": true,
	"AWS_CONFIG_FILE": true, "AWS_SHARED_CREDENTIALS_FILE": true,
}

// childEnv is the environment of one item's command: base without the
// dropped variables, then the item's. With the endpoint, the shared AWS
// config and credentials files are hidden (os.DevNull): a [default] profile
// with keys would otherwise come before the container endpoint in every
// SDK's chain, and the command would run as the operator, not in the item's
// account.
func childEnv(base []string, it item, params []byte, mode string, creds aws.Credentials, endpoint, token string) []string {
	out := make([]string, 0, len(base)+12)
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		if dropped[name] || strings.HasPrefix(name, "ORGIAM_") {
			continue
		}
		out = append(out, kv)
	}
	out = append(out,
		"AWS_REGION="+it.Region, "AWS_DEFAULT_REGION="+it.Region,
		EnvAccountID+"="+it.AccountID, EnvAccountName+"="+it.AccountName, EnvRegion+"="+it.Region,
	)
	if params != nil {
		out = append(out, EnvParams+"="+string(params))
	}
	switch mode {
	case CredentialsEnv:
		out = append(out, "AWS_ACCESS_KEY_ID="+creds.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+creds.SecretAccessKey)
		if creds.SessionToken != "" {
			out = append(out, "AWS_SESSION_TOKEN="+creds.SessionToken)
		}
		if creds.CanExpire {
			out = append(out, "AWS_CREDENTIAL_EXPIRATION="+creds.Expires.UTC().Format(time.RFC3339))
		}
	default:
		out = append(out,
			"AWS_CONTAINER_CREDENTIALS_FULL_URI="+endpoint, "AWS_CONTAINER_AUTHORIZATION_TOKEN="+token,
			"AWS_CONFIG_FILE="+os.DevNull, "AWS_SHARED_CREDENTIALS_FILE="+os.DevNull,
		)
	}
	return out
}
