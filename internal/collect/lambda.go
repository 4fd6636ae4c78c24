package collect

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/orgiam/orgiam/internal/iamarn"
	"github.com/orgiam/orgiam/internal/snapshot"
)

// LambdaAPI is the part of the Lambda client the collectors use.
type LambdaAPI interface {
	ListFunctions(context.Context, *lambda.ListFunctionsInput, ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error)
	ListAliases(context.Context, *lambda.ListAliasesInput, ...func(*lambda.Options)) (*lambda.ListAliasesOutput, error)
	GetPolicy(context.Context, *lambda.GetPolicyInput, ...func(*lambda.Options)) (*lambda.GetPolicyOutput, error)
}

func (c *sdkClients) Lambda() LambdaAPI {
	return client(c, "lambda", func(cfg aws.Config) LambdaAPI { return lambda.NewFromConfig(cfg) })
}

// LambdaCollector reads the resource-based policies of the region's Lambda
// functions and of their aliases (a permission granted on an alias is a
// policy of its own).
type LambdaCollector struct{}

var _ Collector = LambdaCollector{}

// Name is "lambda".
func (LambdaCollector) Name() string { return "lambda" }

// Scope is ScopeRegion.
func (LambdaCollector) Scope() Scope { return ScopeRegion }

// Actions are the Lambda calls of the collector.
func (LambdaCollector) Actions() []string {
	return []string{"lambda:ListFunctions", "lambda:ListAliases", "lambda:GetPolicy"}
}

// Collect lists the functions; for each, its policy, its aliases and each
// alias's policy. A function or alias without a policy is stored without one.
func (c LambdaCollector) Collect(ctx context.Context, it *Item, w Writer) error {
	api := it.Clients.Lambda()
	var fns []lambdatypes.FunctionConfiguration
	p := lambda.NewListFunctionsPaginator(api, &lambda.ListFunctionsInput{})
	var err error
	for p.HasMorePages() {
		out, perr := p.NextPage(ctx)
		if err = it.call(c.Name(), "lambda:ListFunctions", "", perr); err != nil {
			break
		}
		fns = append(fns, out.Functions...)
	}
	var res resources
	// policy reads the policy of a function or alias into r; false when the
	// function is gone.
	policy := func(ctx context.Context, r *snapshot.Resource, fn, qualifier string) error {
		in := &lambda.GetPolicyInput{FunctionName: aws.String(fn)}
		if qualifier != "" {
			in.Qualifier = aws.String(qualifier)
		}
		out, err := api.GetPolicy(ctx, in)
		if ErrorCode(err) == "ResourceNotFoundException" {
			return nil // no policy (or the function is gone)
		}
		if err := it.call(c.Name(), "lambda:GetPolicy", r.ARN, err); err != nil {
			return err
		}
		it.withPolicy(c.Name(), r, lambdaPrincipals(aws.ToString(out.Policy), it.Partition))
		return nil
	}
	if err == nil {
		err = forEach(ctx, it.Parallel, fns, func(ctx context.Context, f lambdatypes.FunctionConfiguration) error {
			name, arn := aws.ToString(f.FunctionName), aws.ToString(f.FunctionArn)
			r := snapshot.Resource{Service: "lambda", Type: "function", ARN: arn, Name: name, Region: it.Region, Account: it.Account}
			perr := policy(ctx, &r, arn, "")
			res.add(r)
			if perr != nil {
				return perr
			}
			ap := lambda.NewListAliasesPaginator(api, &lambda.ListAliasesInput{FunctionName: aws.String(arn)})
			for ap.HasMorePages() {
				out, err := ap.NextPage(ctx)
				if ErrorCode(err) == "ResourceNotFoundException" {
					return nil
				}
				if err := it.call(c.Name(), "lambda:ListAliases", arn, err); err != nil {
					return err
				}
				for _, a := range out.Aliases {
					ar := snapshot.Resource{Service: "lambda", Type: "alias", ARN: aws.ToString(a.AliasArn), Name: name + ":" + aws.ToString(a.Name),
						Region: it.Region, Account: it.Account, Attributes: map[string]string{"FunctionVersion": aws.ToString(a.FunctionVersion)}}
					perr := policy(ctx, &ar, arn, aws.ToString(a.Name))
					res.add(ar)
					if perr != nil {
						return perr
					}
				}
			}
			return nil
		})
	}
	w.Resources(res.list())
	return settle(err)
}

// lambdaPrincipals gives a Lambda policy's plain-string principals the
// shape AWS stores for lambda:AddPermission: an account id becomes
// {"AWS": "arn:<partition>:iam::<id>:root"}, an ARN {"AWS": ARN} and a
// service name {"Service": name}. Some endpoints (moto) keep the Principal
// parameter as given, a form the policy grammar refuses for anything but
// "*". A document without such a principal, or one that is not a JSON
// object with statements, is returned as it is.
func lambdaPrincipals(doc, partition string) string {
	var top map[string]json.RawMessage
	if json.Unmarshal([]byte(doc), &top) != nil {
		return doc
	}
	var stmts []map[string]json.RawMessage
	one := false
	if json.Unmarshal(top["Statement"], &stmts) != nil {
		var st map[string]json.RawMessage
		if json.Unmarshal(top["Statement"], &st) != nil || st == nil {
			return doc
		}
		stmts, one = []map[string]json.RawMessage{st}, true
	}
	changed := false
	for _, st := range stmts {
		var p string
		if json.Unmarshal(st["Principal"], &p) != nil || p == "*" || p == "" {
			continue
		}
		var v map[string]string
		switch {
		case iamarn.ValidAccount(p):
			v = map[string]string{"AWS": "arn:" + partition + ":iam::" + p + ":root"}
		case strings.HasPrefix(p, "arn:"):
			v = map[string]string{"AWS": p}
		default:
			v = map[string]string{"Service": p}
		}
		b, err := json.Marshal(v)
		if err != nil {
			return doc
		}
		st["Principal"] = b
		changed = true
	}
	if !changed {
		return doc
	}
	var b []byte
	var err error
	if one {
		b, err = json.Marshal(stmts[0])
	} else {
		b, err = json.Marshal(stmts)
	}
	if err != nil {
		return doc
	}
	top["Statement"] = b
	out, err := json.Marshal(top)
	if err != nil {
		return doc
	}
	return string(out)
}
