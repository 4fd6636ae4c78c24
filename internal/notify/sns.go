package notify

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"
)

// snsMaxMessage stays under SNS's 256 KB message limit.
const snsMaxMessage = 250 * 1024

// snsMaxSubject is SNS's subject limit.
const snsMaxSubject = 100

var topicARNRe = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b):sns:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,256}(\.fifo)?)$`)

// SNS publishes the run summary to a topic.
type SNS struct {
	TopicARN string
	client   *sns.Client
}

func newSNS(arn string, awsCfg *aws.Config) (*SNS, error) {
	m := topicARNRe.FindStringSubmatch(arn)
	if m == nil {
		return nil, fmt.Errorf("notify sns:%s: not a valid SNS topic ARN (want arn:aws:sns:<region>:<12-digit account>:<topic>)", arn)
	}
	if awsCfg == nil {
		return nil, fmt.Errorf("notify sns:%s: SNS needs AWS credentials", arn)
	}
	region := m[2]
	client := sns.NewFromConfig(*awsCfg, func(o *sns.Options) { o.Region = region })
	return &SNS{TopicARN: arn, client: client}, nil
}

func (n *SNS) String() string { return "sns:" + n.TopicARN }

// Notify publishes the text with the title as Subject.
func (n *SNS) Notify(ctx context.Context, s Summary) error {
	_, err := n.publish(ctx, s)
	return err
}

func (n *SNS) publish(ctx context.Context, s Summary) (string, error) {
	in := &sns.PublishInput{
		TopicArn: aws.String(n.TopicARN),
		Subject:  aws.String(snsSubject(Title(s))),
		Message:  aws.String(truncateBytes(Text(s), snsMaxMessage)),
	}
	if strings.HasSuffix(n.TopicARN, ".fifo") {
		in.MessageGroupId = aws.String("orgiam")
		in.MessageDeduplicationId = aws.String(dedupID(s))
	}
	out, err := n.client.Publish(ctx, in)
	if err != nil {
		err = fmt.Errorf("notify %s: sns:Publish: %w", n, err)
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorFault() == smithy.FaultClient && ae.ErrorCode() != "Throttling" && ae.ErrorCode() != "ThrottlingException" {
			return "", permanent(err)
		}
		return "", err
	}
	return aws.ToString(out.MessageId), nil
}

// snsSubject makes a valid SNS subject: printable ASCII, no line breaks, at
// most 100 characters.
func snsSubject(t string) string {
	b := make([]byte, 0, len(t))
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c < 0x20 || c > 0x7e {
			c = ' '
		}
		b = append(b, c)
	}
	out := strings.TrimSpace(string(b))
	if len(out) > snsMaxSubject {
		out = out[:snsMaxSubject-3] + "..."
	}
	return out
}

// dedupID identifies one run's message (FIFO topics need one).
func dedupID(s Summary) string {
	id := s.Run + "-" + s.Finished.UTC().Format("20060102T150405")
	r := strings.NewReplacer("/", "-", ":", "-")
	id = r.Replace(id)
	if len(id) > 128 {
		id = id[:128]
	}
	return id
}
