# The organization-wide IAM users report read from an AWS Config aggregator
# (ORGIAM_HANDLER=config-report): no role in any member account, its own
# schedule, its own least-privilege role. Off unless enable_config_report.

locals {
  config_report        = var.enable_config_report ? 1 : 0
  config_report_name   = "${var.function_name_prefix}-config-report"
  config_report_region = var.config_aggregator_region == null ? local.region : var.config_aggregator_region
  # The aggregator's ARN carries its id, not its name: without
  # config_aggregator_arn the grant covers the aggregators of this account
  # in that region.
  config_aggregator_resource = var.config_aggregator_arn != null ? var.config_aggregator_arn : "arn:${local.partition}:config:${local.config_report_region}:${local.account_id}:config-aggregator/*"
  config_report_objects      = "${local.objects_arn}${var.config_report_prefix}/*"

  config_report_s3_statements = [{
    Sid      = "WriteConfigReports"
    Effect   = "Allow"
    Action   = ["s3:PutObject"]
    Resource = local.config_report_objects
  }]

  config_report_environment = {
    ORGIAM_STORE                    = local.store_url
    ORGIAM_CONFIG_AGGREGATOR        = var.config_aggregator_name == null ? "" : var.config_aggregator_name
    ORGIAM_CONFIG_AGGREGATOR_REGION = local.config_report_region
    ORGIAM_CONFIG_REPORT_PREFIX     = var.config_report_prefix
    ORGIAM_NOTIFY                   = "sns:${local.topic_arn}"
    ORGIAM_LOG_FORMAT               = "json"
  }
}

resource "aws_cloudwatch_log_group" "config_report" {
  count             = local.config_report
  name              = "/aws/lambda/${local.config_report_name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_iam_role" "config_report" {
  count = local.config_report
  name  = local.config_report_name
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "config_report" {
  count = local.config_report
  name  = "orgiam-config-report"
  role  = aws_iam_role.config_report[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid      = "OwnLogs"
          Effect   = "Allow"
          Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
          Resource = "${aws_cloudwatch_log_group.config_report[0].arn}:*"
        },
        {
          Sid      = "QueryAggregator"
          Effect   = "Allow"
          Action   = ["config:SelectAggregateResourceConfig"]
          Resource = local.config_aggregator_resource
        },
        {
          # The handler checks first that the aggregator exists and is
          # organization-wide, naming it when it is not. The action takes no
          # resource ARN.
          Sid      = "DescribeAggregators"
          Effect   = "Allow"
          Action   = ["config:DescribeConfigurationAggregators"]
          Resource = "*"
        },
        {
          # The handler's own failure message, and Lambda's on-failure
          # destination when the handler could not send it (timeout, crash).
          Sid      = "NotifyFailure"
          Effect   = "Allow"
          Action   = ["sns:Publish"]
          Resource = local.topic_arn
        },
      ],
      local.config_report_s3_statements,
      local.kms_statements,
    )
  })
}

resource "aws_lambda_function" "config_report" {
  count            = local.config_report
  function_name    = local.config_report_name
  description      = "orgiam users report from the AWS Config aggregator ${var.config_aggregator_name == null ? "" : var.config_aggregator_name}"
  role             = aws_iam_role.config_report[0].arn
  filename         = var.lambda_zip_path
  source_code_hash = filebase64sha256(var.lambda_zip_path)
  handler          = "bootstrap"
  runtime          = "provided.al2023"
  architectures    = [var.lambda_architecture]
  memory_size      = var.lambda_memory_mb
  timeout          = var.lambda_timeout_seconds

  environment {
    variables = merge(local.config_report_environment, { ORGIAM_HANDLER = "config-report" }, local.environment_variables)
  }

  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.config_report[0].name
    application_log_level = upper(var.log_level)
    system_log_level      = "WARN"
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.config_report]

  lifecycle {
    precondition {
      condition     = var.config_aggregator_name != null
      error_message = "config_aggregator_name is required when enable_config_report is true."
    }
    precondition {
      condition     = var.config_aggregator_arn == null || split(":", coalesce(var.config_aggregator_arn, "a:b:c:d"))[3] == local.config_report_region
      error_message = "config_aggregator_arn is in region ${try(split(":", var.config_aggregator_arn)[3], "?")}, config_aggregator_region is ${local.config_report_region}: they must agree."
    }
  }
}

# EventBridge invokes the function asynchronously: a run that fails before
# the handler can notify (timeout, crash) still reaches the topic.
resource "aws_lambda_function_event_invoke_config" "config_report" {
  count                  = local.config_report
  function_name          = aws_lambda_function.config_report[0].function_name
  maximum_retry_attempts = 1

  destination_config {
    on_failure {
      destination = local.topic_arn
    }
  }
}

resource "aws_cloudwatch_event_rule" "config_report" {
  count               = var.enable_config_report && var.config_report_schedule_expression != "" ? 1 : 0
  name                = "${local.config_report_name}-schedule"
  description         = "Starts the orgiam users report from the AWS Config aggregator."
  schedule_expression = var.config_report_schedule_expression
  tags                = var.tags
}

resource "aws_cloudwatch_event_target" "config_report" {
  count = length(aws_cloudwatch_event_rule.config_report)
  rule  = aws_cloudwatch_event_rule.config_report[0].name
  arn   = aws_lambda_function.config_report[0].arn
  input = jsonencode({})
}

resource "aws_lambda_permission" "config_report_schedule" {
  count         = length(aws_cloudwatch_event_rule.config_report)
  statement_id  = "AllowEventBridgeSchedule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.config_report[0].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.config_report[0].arn
}
