package collect

import (
	"context"
	"path"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/orgiam/orgiam/internal/snapshot"
)

// SQSAPI is the part of the SQS client the collectors use.
type SQSAPI interface {
	ListQueues(context.Context, *sqs.ListQueuesInput, ...func(*sqs.Options)) (*sqs.ListQueuesOutput, error)
	GetQueueAttributes(context.Context, *sqs.GetQueueAttributesInput, ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
}

func (c *sdkClients) SQS() SQSAPI {
	return client(c, "sqs", func(cfg aws.Config) SQSAPI { return sqs.NewFromConfig(cfg) })
}

// SQSCollector reads the access policies of the region's SQS queues.
type SQSCollector struct{}

var _ Collector = SQSCollector{}

// Name is "sqs".
func (SQSCollector) Name() string { return "sqs" }

// Scope is ScopeRegion.
func (SQSCollector) Scope() Scope { return ScopeRegion }

// Actions are the SQS calls of the collector.
func (SQSCollector) Actions() []string { return []string{"sqs:ListQueues", "sqs:GetQueueAttributes"} }

// Collect lists the queues and reads each one's Policy and QueueArn.
func (c SQSCollector) Collect(ctx context.Context, it *Item, w Writer) error {
	api := it.Clients.SQS()
	var urls []string
	p := sqs.NewListQueuesPaginator(api, &sqs.ListQueuesInput{MaxResults: aws.Int32(1000)})
	var err error
	for p.HasMorePages() {
		out, perr := p.NextPage(ctx)
		if err = it.call(c.Name(), "sqs:ListQueues", "", perr); err != nil {
			break
		}
		urls = append(urls, out.QueueUrls...)
	}
	var res resources
	if err == nil {
		err = forEach(ctx, it.Parallel, urls, func(ctx context.Context, url string) error {
			name := path.Base(url)
			arn := "arn:" + it.Partition + ":sqs:" + it.Region + ":" + it.Account + ":" + name
			out, err := api.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
				AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNamePolicy, sqstypes.QueueAttributeNameQueueArn}})
			switch ErrorCode(err) {
			case "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue":
				return nil // deleted since the listing
			}
			r := snapshot.Resource{Service: "sqs", Type: "queue", ARN: arn, Name: name, Region: it.Region, Account: it.Account}
			if err := it.call(c.Name(), "sqs:GetQueueAttributes", arn, err); err != nil {
				res.add(r)
				return err
			}
			if a := out.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]; a != "" {
				r.ARN = a
			}
			it.withPolicy(c.Name(), &r, out.Attributes[string(sqstypes.QueueAttributeNamePolicy)])
			res.add(r)
			return nil
		})
	}
	w.Resources(res.list())
	return settle(err)
}
