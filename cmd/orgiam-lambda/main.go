// Command orgiam-lambda is the one bootstrap binary of the serverless runner
// (runtime provided.al2023). ORGIAM_HANDLER picks the pipeline step it serves:
// plan, discover, scan-account, credential-report, region-items, scan-region,
// index, report, diff, finalize, notify-summary, config-report (the users
// report from an AWS Config aggregator, on its own schedule), or
// operations-items and operations-results (the operations fan-out machine). Each handler is a thin adapter over the same step the local
// runner calls; configuration comes from ORGIAM_* environment variables.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/orgiam/orgiam/internal/config"
	"github.com/orgiam/orgiam/internal/lambdarunner"
)

func main() {
	name := config.EnvValue("handler", os.LookupEnv)
	h, err := lambdarunner.Handler(context.Background(), name, os.LookupEnv)
	if err != nil {
		slog.New(slog.NewJSONHandler(os.Stderr, nil)).Error("orgiam-lambda cannot start", "handler", name, "error", err.Error())
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	lambda.Start(h)
}
