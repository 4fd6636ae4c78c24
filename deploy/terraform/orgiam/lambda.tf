# One function per pipeline step, all from the same bootstrap binary: the
# step is chosen by ORGIAM_HANDLER.

resource "aws_cloudwatch_log_group" "lambda" {
  for_each          = local.handlers
  name              = "/aws/lambda/${var.function_name_prefix}-${each.key}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_iam_role" "lambda" {
  for_each = local.handlers
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

resource "aws_iam_role_policy" "lambda" {
  for_each = local.handlers
  name     = "orgiam-${each.key}"
  role     = aws_iam_role.lambda[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [{
        Sid      = "OwnLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "${aws_cloudwatch_log_group.lambda[each.key].arn}:*"
      }],
      local.lambda_statements[each.key],
      local.kms_statements,
    )
  })
}

resource "aws_lambda_function" "handler" {
  for_each         = local.handlers
  function_name    = "${var.function_name_prefix}-${each.key}"
  description      = "orgiam pipeline step ${each.key}"
  role             = aws_iam_role.lambda[each.key].arn
  filename         = var.lambda_zip_path
  source_code_hash = filebase64sha256(var.lambda_zip_path)
  handler          = "bootstrap"
  runtime          = "provided.al2023"
  architectures    = [var.lambda_architecture]
  memory_size      = var.lambda_memory_mb
  timeout          = var.lambda_timeout_seconds

  ephemeral_storage {
    size = var.lambda_ephemeral_storage_mb
  }

  environment {
    variables = merge(local.common_environment, { ORGIAM_HANDLER = each.key }, local.environment_variables)
  }

  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.lambda[each.key].name
    application_log_level = upper(var.log_level)
    system_log_level      = "WARN"
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.lambda]
}
