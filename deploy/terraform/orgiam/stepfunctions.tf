# The state machine: templates/orgiam.asl.json rendered with the ARNs of this
# module. The template is a copy of deploy/stepfunctions/orgiam.asl.json kept
# identical by a test, so that the module works when copied out of the
# repository (see deploy/README.md for its variables).

locals {
  # What the state machine reads and writes in the store: the account list
  # and the account × region item list (ItemReader), and the Distributed
  # Maps' results (ResultWriter).
  state_machine_s3_statements = [
    {
      Sid      = "ReadAccountList"
      Effect   = "Allow"
      Action   = ["s3:GetObject"]
      Resource = ["${local.objects_arn}*/accounts.json", "${local.objects_arn}*/region-items.json"]
    },
    {
      Sid      = "WriteMapResults"
      Effect   = "Allow"
      Action   = ["s3:PutObject", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"]
      Resource = "${local.objects_arn}*/step-functions-map/*"
    },
  ]

  definition = templatefile("${path.module}/templates/orgiam.asl.json", {
    plan_function_arn              = aws_lambda_function.handler["plan"].arn
    discover_function_arn          = aws_lambda_function.handler["discover"].arn
    scan_account_function_arn      = aws_lambda_function.handler["scan-account"].arn
    credential_report_function_arn = aws_lambda_function.handler["credential-report"].arn
    region_items_function_arn      = aws_lambda_function.handler["region-items"].arn
    scan_region_function_arn       = aws_lambda_function.handler["scan-region"].arn
    index_function_arn             = aws_lambda_function.handler["index"].arn
    report_function_arn            = aws_lambda_function.handler["report"].arn
    diff_function_arn              = aws_lambda_function.handler["diff"].arn
    finalize_function_arn          = aws_lambda_function.handler["finalize"].arn
    notify_summary_function_arn    = aws_lambda_function.handler["notify-summary"].arn
    sns_topic_arn                  = local.topic_arn
    max_concurrency                = var.max_parallel_executions
    tolerated_failure_percentage   = var.tolerated_failure_percentage
    # The handler gives up after credential_report_max_polls; the loop of the
    # state machine stops a few iterations later in case it does not.
    credential_report_max_attempts = var.credential_report_max_polls + 5
  })
}

resource "aws_cloudwatch_log_group" "state_machine" {
  count             = var.enable_step_function_logging ? 1 : 0
  name              = "/aws/vendedlogs/states/${var.state_machine_name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_iam_role" "state_machine" {
  name = "${var.state_machine_name}-states"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "states.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "state_machine" {
  name = "orgiam-state-machine"
  role = aws_iam_role.state_machine.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid      = "InvokeSteps"
        Effect   = "Allow"
        Action   = ["lambda:InvokeFunction"]
        Resource = flatten([for f in aws_lambda_function.handler : [f.arn, "${f.arn}:*"]])
      },
      {
        Sid      = "RunMapChildExecutions"
        Effect   = "Allow"
        Action   = ["states:StartExecution"]
        Resource = local.state_machine_arn
      },
      {
        Sid    = "ManageMapChildExecutions"
        Effect = "Allow"
        Action = ["states:DescribeExecution", "states:StopExecution"]
        Resource = [
          "arn:${local.partition}:states:${local.region}:${local.account_id}:execution:${var.state_machine_name}/*",
          "arn:${local.partition}:states:${local.region}:${local.account_id}:execution:${var.state_machine_name}:*",
        ]
      },
      {
        Sid      = "PublishFailures"
        Effect   = "Allow"
        Action   = ["sns:Publish"]
        Resource = local.topic_arn
      },
      ], local.state_machine_s3_statements, local.kms_statements, !var.enable_step_function_logging ? [] : [
      {
        # Log delivery is configured through these account-level APIs, which
        # take no resource.
        Sid    = "DeliverLogs"
        Effect = "Allow"
        Action = [
          "logs:CreateLogDelivery",
          "logs:GetLogDelivery",
          "logs:UpdateLogDelivery",
          "logs:DeleteLogDelivery",
          "logs:ListLogDeliveries",
          "logs:PutResourcePolicy",
          "logs:DescribeResourcePolicies",
          "logs:DescribeLogGroups",
        ]
        Resource = "*"
      },
    ])
  })
}

resource "aws_sfn_state_machine" "this" {
  name       = var.state_machine_name
  role_arn   = aws_iam_role.state_machine.arn
  definition = local.definition
  type       = "STANDARD"

  dynamic "logging_configuration" {
    for_each = aws_cloudwatch_log_group.state_machine
    content {
      log_destination        = "${logging_configuration.value.arn}:*"
      include_execution_data = false
      level                  = "ERROR"
    }
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.state_machine]

  lifecycle {
    precondition {
      condition     = var.create_sns_topic || var.sns_topic_arn != ""
      error_message = "Set sns_topic_arn when create_sns_topic is false."
    }
  }
}

# ---------------------------------------------------------------- schedule

resource "aws_cloudwatch_event_rule" "schedule" {
  count               = var.schedule_expression == "" ? 0 : 1
  name                = "${var.state_machine_name}-schedule"
  description         = "Starts an orgiam run."
  schedule_expression = var.schedule_expression
  tags                = var.tags
}

resource "aws_iam_role" "schedule" {
  count = var.schedule_expression == "" ? 0 : 1
  name  = "${var.state_machine_name}-schedule"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "schedule" {
  count = var.schedule_expression == "" ? 0 : 1
  name  = "orgiam-start-execution"
  role  = aws_iam_role.schedule[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "StartRun"
      Effect   = "Allow"
      Action   = ["states:StartExecution"]
      Resource = aws_sfn_state_machine.this.arn
    }]
  })
}

resource "aws_cloudwatch_event_target" "schedule" {
  count    = var.schedule_expression == "" ? 0 : 1
  rule     = aws_cloudwatch_event_rule.schedule[0].name
  arn      = aws_sfn_state_machine.this.arn
  role_arn = aws_iam_role.schedule[0].arn
  input    = jsonencode({})
}
