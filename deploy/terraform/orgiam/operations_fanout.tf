# The operations fan-out (off unless operations_fanout.enabled): a second
# state machine that runs a user's Lambda function once per account × region
# of the organizations, with the same account filters as the collect run
# (environment_variables: ORGIAM_ACCOUNTS, ORGIAM_OUS, ORGIAM_EXCLUDE_ACCOUNTS).
# Without operations_fanout.regions, each account's items are the regions
# enabled in it (all-enabled, read with ec2:DescribeRegions through the
# account's collect role, as collect reads them); an account whose regions
# cannot be read gets no item and is a failed row of the results CSV.
# Its two orgiam functions (ORGIAM_HANDLER = "operations-items" and
# ORGIAM_HANDLER = "operations-results") build the items and write the
# results CSV; items and results stay in the bucket under <run>/exec/.
# templates/operations.asl.json is a copy of deploy/stepfunctions/operations.asl.json.

locals {
  operations          = var.operations_fanout.enabled ? 1 : 0
  operations_name     = "${var.state_machine_name}-operations"
  operations_handlers = var.operations_fanout.enabled ? toset(["operations-items", "operations-results"]) : toset([])

  operations_statements = {
    # What discover may do (the same listing, the same account list),
    # assume each account's collect role to read its enabled regions
    # (ec2:DescribeRegions, for all-enabled: the default when
    # operations_fanout.regions is empty, or an execution input's
    # ["all-enabled"]), and write the items and the accounts whose regions
    # could not be read.
    "operations-items" = concat(local.lambda_statements["discover"], [
      {
        Sid      = "AssumeCollectRole"
        Effect   = "Allow"
        Action   = ["sts:AssumeRole"]
        Resource = local.scan_assume_arns
      },
      {
        Sid      = "WriteItems"
        Effect   = "Allow"
        Action   = ["s3:PutObject"]
        Resource = ["${local.objects_arn}*/exec/items.json", "${local.objects_arn}*/exec/region-errors.json"]
      },
    ])
    "operations-results" = [
      local.read_runs_statement,
      {
        Sid      = "WriteResults"
        Effect   = "Allow"
        Action   = ["s3:PutObject"]
        Resource = "${local.objects_arn}*/exec/results.csv"
      },
      {
        Sid      = "PublishResults"
        Effect   = "Allow"
        Action   = ["sns:Publish"]
        Resource = local.topic_arn
      },
    ]
  }

  # The items (ItemReader) and the Map's results (ResultWriter).
  operations_state_machine_s3_statements = [
    {
      Sid      = "ReadItems"
      Effect   = "Allow"
      Action   = ["s3:GetObject"]
      Resource = "${local.objects_arn}*/exec/items.json"
    },
    {
      Sid      = "WriteMapResults"
      Effect   = "Allow"
      Action   = ["s3:PutObject", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"]
      Resource = "${local.objects_arn}*/exec/map/*"
    },
  ]

  operations_state_machine_arn = "arn:${local.partition}:states:${local.region}:${local.account_id}:stateMachine:${local.operations_name}"
}

resource "aws_cloudwatch_log_group" "operations" {
  for_each          = local.operations_handlers
  name              = "/aws/lambda/${var.function_name_prefix}-${each.key}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_iam_role" "operations" {
  for_each = local.operations_handlers
  name     = "${var.function_name_prefix}-${each.key}"
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

resource "aws_iam_role_policy" "operations" {
  for_each = local.operations_handlers
  name     = "orgiam-${each.key}"
  role     = aws_iam_role.operations[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [{
        Sid      = "OwnLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "${aws_cloudwatch_log_group.operations[each.key].arn}:*"
      }],
      local.operations_statements[each.key],
      local.kms_statements,
    )
  })
}

resource "aws_lambda_function" "operations" {
  for_each         = local.operations_handlers
  function_name    = "${var.function_name_prefix}-${each.key}"
  description      = "orgiam operations fan-out step ${each.key}"
  role             = aws_iam_role.operations[each.key].arn
  filename         = var.lambda_zip_path
  source_code_hash = filebase64sha256(var.lambda_zip_path)
  handler          = "bootstrap"
  runtime          = "provided.al2023"
  architectures    = [var.lambda_architecture]
  memory_size      = var.lambda_memory_mb
  timeout          = var.lambda_timeout_seconds

  environment {
    variables = merge(local.common_environment, {
      ORGIAM_HANDLER = each.key
      ORGIAM_REGIONS = length(var.operations_fanout.regions) > 0 ? join(",", var.operations_fanout.regions) : "all-enabled"
    }, local.environment_variables)
  }

  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.operations[each.key].name
    application_log_level = upper(var.log_level)
    system_log_level      = "WARN"
  }

  tags       = var.tags
  depends_on = [aws_iam_role_policy.operations]
}

resource "aws_iam_role" "operations_state_machine" {
  count = local.operations
  name  = "${local.operations_name}-states"
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

resource "aws_iam_role_policy" "operations_state_machine" {
  count = local.operations
  name  = "orgiam-operations-state-machine"
  role  = aws_iam_role.operations_state_machine[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid    = "InvokeFunctions"
        Effect = "Allow"
        Action = ["lambda:InvokeFunction"]
        Resource = concat(
          flatten([for f in aws_lambda_function.operations : [f.arn, "${f.arn}:*"]]),
          [var.operations_fanout.function_arn, "${var.operations_fanout.function_arn}:*"],
        )
      },
      {
        Sid      = "RunMapChildExecutions"
        Effect   = "Allow"
        Action   = ["states:StartExecution"]
        Resource = local.operations_state_machine_arn
      },
      {
        Sid    = "ManageMapChildExecutions"
        Effect = "Allow"
        Action = ["states:DescribeExecution", "states:StopExecution"]
        Resource = [
          "arn:${local.partition}:states:${local.region}:${local.account_id}:execution:${local.operations_name}/*",
          "arn:${local.partition}:states:${local.region}:${local.account_id}:execution:${local.operations_name}:*",
        ]
      },
    ], local.operations_state_machine_s3_statements, local.kms_statements)
  })
}

resource "aws_sfn_state_machine" "operations" {
  count    = local.operations
  name     = local.operations_name
  role_arn = aws_iam_role.operations_state_machine[0].arn
  definition = templatefile("${path.module}/templates/operations.asl.json", {
    operations_items_function_arn   = aws_lambda_function.operations["operations-items"].arn
    operations_results_function_arn = aws_lambda_function.operations["operations-results"].arn
    target_function_arn             = var.operations_fanout.function_arn
    max_concurrency                 = var.operations_fanout.max_concurrency
    tolerated_failure_percentage    = var.operations_fanout.tolerated_failure_percentage
  })
  type       = "STANDARD"
  tags       = var.tags
  depends_on = [aws_iam_role_policy.operations_state_machine]
}

output "operations_state_machine_arn" {
  description = "ARN of the operations fan-out state machine (null when operations_fanout is disabled)."
  value       = one(aws_sfn_state_machine.operations[*].arn)
}

output "operations_function_arns" {
  description = "The operations fan-out's own functions by handler (empty when disabled)."
  value       = { for k, f in aws_lambda_function.operations : k => f.arn }
}
