# Unattended least-privilege policy generation (ORGIAM_HANDLER=policygen):
# an EventBridge schedule starts its own state machine, which plans (the
# latest complete run, the principals checked against it), generates one
# principal per Map item from the CloudTrail trail in S3, then commits: the
# generation record is written last and the policies are pushed to git.
# Off unless enable_policygen.

locals {
  policygen      = var.enable_policygen ? 1 : 0
  policygen_name = "${var.function_name_prefix}-policygen"
  policygen_sm   = "${var.state_machine_name}-policygen"

  policygen_trail_bucket = var.policygen_cloudtrail_url == "" ? "" : split("/", trimprefix(var.policygen_cloudtrail_url, "s3://"))[0]
  policygen_trail_prefix = var.policygen_cloudtrail_url == "" ? "" : join("/", slice(split("/", trimprefix(var.policygen_cloudtrail_url, "s3://")), 1, length(split("/", trimprefix(var.policygen_cloudtrail_url, "s3://")))))

  # With a trail role the bucket is read through it (its own policy grants
  # it); without, the function reads the bucket itself.
  policygen_trail_statements = concat(
    var.policygen_trail_role_arn == null ? [] : [{
      Sid      = "AssumeTrailRole"
      Effect   = "Allow"
      Action   = ["sts:AssumeRole"]
      Resource = var.policygen_trail_role_arn
    }],
    var.policygen_trail_role_arn != null ? [] : [{
      Sid       = "ListTrail"
      Effect    = "Allow"
      Action    = ["s3:ListBucket"]
      Resource  = "arn:${local.partition}:s3:::${local.policygen_trail_bucket}"
      Condition = { StringLike = { "s3:prefix" = ["${local.policygen_trail_prefix}*"] } }
    }],
    var.policygen_trail_role_arn != null ? [] : [{
      Sid      = "ReadTrail"
      Effect   = "Allow"
      Action   = ["s3:GetObject"]
      Resource = "arn:${local.partition}:s3:::${local.policygen_trail_bucket}/${local.policygen_trail_prefix}*"
    }],
  )

  # The Map's items share the generate input; the rules are inline JSON.
  policygen_item = merge(
    {
      action        = "generate"
      "run.$"       = "$.plan.run"
      "principal.$" = "$$.Map.Item.Value"
      cloudtrail    = var.policygen_cloudtrail_url
      days          = var.policygen_days
      resources     = var.policygen_resources
    },
    var.policygen_trail_role_arn == null ? {} : { trailRole = var.policygen_trail_role_arn },
    var.policygen_allow_rules == null ? {} : { allow = var.policygen_allow_rules },
    var.policygen_deny_rules == null ? {} : { deny = var.policygen_deny_rules },
  )

  policygen_retry = [{
    ErrorEquals     = ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"]
    IntervalSeconds = 2
    MaxAttempts     = 3
    BackoffRate     = 2
  }]

  policygen_definition = jsonencode({
    Comment = "orgiam policy generation: plan, one principal per Map item, commit"
    StartAt = "Plan"
    States = {
      Plan = {
        Type     = "Task"
        Resource = "arn:${local.partition}:states:::lambda:invoke"
        Parameters = {
          FunctionName = one(aws_lambda_function.policygen[*].arn)
          Payload      = { action = "plan", "principals.$" = "$.principals" }
        }
        ResultSelector = { "run.$" = "$.Payload.run", "principals.$" = "$.Payload.principals" }
        ResultPath     = "$.plan"
        Retry          = local.policygen_retry
        Next           = "Generate"
      }
      Generate = {
        Type           = "Map"
        ItemsPath      = "$.plan.principals"
        MaxConcurrency = var.policygen_max_concurrency
        ItemSelector   = local.policygen_item
        ItemProcessor = {
          ProcessorConfig = { Mode = "INLINE" }
          StartAt         = "GeneratePrincipal"
          States = {
            GeneratePrincipal = {
              Type       = "Task"
              Resource   = "arn:${local.partition}:states:::lambda:invoke"
              Parameters = { FunctionName = one(aws_lambda_function.policygen[*].arn), "Payload.$" = "$" }
              OutputPath = "$.Payload"
              Retry      = local.policygen_retry
              End        = true
            }
          }
        }
        ResultPath = "$.items"
        Next       = "Commit"
      }
      Commit = {
        Type     = "Task"
        Resource = "arn:${local.partition}:states:::lambda:invoke"
        Parameters = {
          FunctionName = one(aws_lambda_function.policygen[*].arn)
          Payload = {
            action    = "commit"
            "run.$"   = "$.plan.run"
            "items.$" = "$.items"
            git       = { url = var.policygen_git_url, branch = var.policygen_git_branch, path = var.policygen_git_path }
          }
        }
        OutputPath = "$.Payload"
        Retry      = local.policygen_retry
        End        = true
      }
    }
  })
}

resource "aws_cloudwatch_log_group" "policygen" {
  count             = local.policygen
  name              = "/aws/lambda/${local.policygen_name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_iam_role" "policygen" {
  count = local.policygen
  name  = local.policygen_name
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

resource "aws_iam_role_policy" "policygen" {
  count = local.policygen
  name  = "orgiam-policygen"
  role  = aws_iam_role.policygen[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid      = "OwnLogs"
          Effect   = "Allow"
          Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
          Resource = "${aws_cloudwatch_log_group.policygen[0].arn}:*"
        },
        # The latest complete run and its snapshot (plan), the generated
        # files (commit reads them back against their hashes).
        local.list_run_statement,
        local.read_runs_statement,
        {
          Sid      = "WritePolicies"
          Effect   = "Allow"
          Action   = ["s3:PutObject", "s3:DeleteObject"]
          Resource = "${local.objects_arn}*/policies/*"
        },
      ],
      local.policygen_trail_statements,
      local.kms_statements,
    )
  })
}

resource "aws_lambda_function" "policygen" {
  count            = local.policygen
  function_name    = local.policygen_name
  description      = "orgiam least-privilege policy generation from CloudTrail"
  role             = aws_iam_role.policygen[0].arn
  filename         = var.lambda_zip_path
  source_code_hash = filebase64sha256(var.lambda_zip_path)
  handler          = "bootstrap"
  runtime          = "provided.al2023"
  architectures    = [var.lambda_architecture]
  memory_size      = var.lambda_memory_mb
  timeout          = var.lambda_timeout_seconds

  # Git credentials (ORGIAM_GIT_TOKEN, ORGIAM_GIT_SSH_KEY) come through
  # environment_variables.
  environment {
    variables = merge({ ORGIAM_STORE = local.store_url, ORGIAM_LOG_FORMAT = "json" }, { ORGIAM_HANDLER = "policygen" }, local.environment_variables)
  }

  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.policygen[0].name
    application_log_level = upper(var.log_level)
    system_log_level      = "WARN"
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.policygen]

  lifecycle {
    precondition {
      condition     = startswith(var.policygen_cloudtrail_url, "s3://") && local.policygen_trail_bucket != ""
      error_message = "policygen_cloudtrail_url ${jsonencode(var.policygen_cloudtrail_url)}: enable_policygen needs the trail as s3://bucket/prefix."
    }
    precondition {
      condition     = length(var.policygen_principals) > 0
      error_message = "policygen_principals: enable_policygen needs at least one principal ARN."
    }
  }
}

resource "aws_iam_role" "policygen_states" {
  count = local.policygen
  name  = "${local.policygen_sm}-states"
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

resource "aws_iam_role_policy" "policygen_states" {
  count = local.policygen
  name  = "orgiam-policygen-state-machine"
  role  = aws_iam_role.policygen_states[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "InvokePolicygen"
      Effect   = "Allow"
      Action   = ["lambda:InvokeFunction"]
      Resource = [aws_lambda_function.policygen[0].arn, "${aws_lambda_function.policygen[0].arn}:*"]
    }]
  })
}

resource "aws_sfn_state_machine" "policygen" {
  count      = local.policygen
  name       = local.policygen_sm
  role_arn   = aws_iam_role.policygen_states[0].arn
  definition = local.policygen_definition
  type       = "STANDARD"
  tags       = var.tags

  depends_on = [aws_iam_role_policy.policygen_states]
}

resource "aws_cloudwatch_event_rule" "policygen" {
  count               = var.enable_policygen && var.policygen_schedule_expression != "" ? 1 : 0
  name                = "${local.policygen_sm}-schedule"
  description         = "Starts orgiam policy generation."
  schedule_expression = var.policygen_schedule_expression
  tags                = var.tags
}

resource "aws_iam_role" "policygen_schedule" {
  count = length(aws_cloudwatch_event_rule.policygen)
  name  = "${local.policygen_sm}-schedule"
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

resource "aws_iam_role_policy" "policygen_schedule" {
  count = length(aws_cloudwatch_event_rule.policygen)
  name  = "orgiam-start-policygen"
  role  = aws_iam_role.policygen_schedule[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "StartPolicygen"
      Effect   = "Allow"
      Action   = ["states:StartExecution"]
      Resource = aws_sfn_state_machine.policygen[0].arn
    }]
  })
}

resource "aws_cloudwatch_event_target" "policygen" {
  count    = length(aws_cloudwatch_event_rule.policygen)
  rule     = aws_cloudwatch_event_rule.policygen[0].name
  arn      = aws_sfn_state_machine.policygen[0].arn
  role_arn = aws_iam_role.policygen_schedule[0].arn
  input    = jsonencode({ principals = var.policygen_principals })
}
