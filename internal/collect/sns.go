package collect

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/orgiam/orgiam/internal/snapshot"
)

// SNSAPI is the part of the SNS client the collectors use.
type SNSAPI interface {
	ListTopics(context.Context, *sns.ListTopicsInput, ...func(*sns.Options)) (*sns.ListTopicsOutput, error)
	GetTopicAttributes(context.Context, *sns.GetTopicAttributesInput, ...func(*sns.Options)) (*sns.GetTopicAttributesOutput, error)
}

func (c *sdkClients) SNS() SNSAPI {
	return client(c, "sns", func(cfg aws.Config) SNSAPI { return sns.NewFromConfig(cfg) })
}

// SNSCollector reads the access policies of the region's SNS topics.
type SNSCollector struct{}

var _ Collector = SNSCollector{}

// Name is "sns".
func (SNSCollector) Name() string { return "sns" }

// Scope is ScopeRegion.
func (SNSCollector) Scope() Scope { return ScopeRegion }

// Actions are the SNS calls of the collector.
func (SNSCollector) Actions() []string { return []string{"sns:ListTopics", "sns:GetTopicAttributes"} }

// Collect lists the topics and reads each one's Policy attribute.
func (c SNSCollector) Collect(ctx context.Context, it *Item, w Writer) error {
	api := it.Clients.SNS()
	var arns []string
	p := sns.NewListTopicsPaginator(api, &sns.ListTopicsInput{})
	var err error
	for p.HasMorePages() {
		out, perr := p.NextPage(ctx)
		if err = it.call(c.Name(), "sns:ListTopics", "", perr); err != nil {
			break
		}
		for _, t := range out.Topics {
			arns = append(arns, aws.ToString(t.TopicArn))
		}
	}
	var res resources
	if err == nil {
		err = forEach(ctx, it.Parallel, arns, func(ctx context.Context, arn string) error {
			out, err := api.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
			if ErrorCode(err) == "NotFound" {
				return nil // deleted since the listing
			}
			r := snapshot.Resource{Service: "sns", Type: "topic", ARN: arn, Name: topicName(arn), Region: it.Region, Account: it.Account}
			if err := it.call(c.Name(), "sns:GetTopicAttributes", arn, err); err != nil {
				res.add(r)
				return err
			}
			it.withPolicy(c.Name(), &r, out.Attributes["Policy"])
			res.add(r)
			return nil
		})
	}
	w.Resources(res.list())
	return settle(err)
}

// topicName is the name of a topic from its ARN (arn:…:sns:region:account:name).
func topicName(topicARN string) string {
	if a, err := arn.Parse(topicARN); err == nil {
		return a.Resource
	}
	return topicARN
}
