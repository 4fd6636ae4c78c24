# Outputs of the reference module first (same names and meanings), then
# orgiam's own. Each function has its ARN, name and execution role ARN.

output "state_machine_arn" {
  description = "ARN of the state machine (start a run: aws stepfunctions start-execution --state-machine-arn ARN --input '{}')."
  value       = aws_sfn_state_machine.this.arn
}

output "state_machine_name" {
  description = "Name of the state machine."
  value       = aws_sfn_state_machine.this.name
}

output "step_function_execution_role_arn" {
  description = "ARN of the state machine's execution role."
  value       = aws_iam_role.state_machine.arn
}

output "step_function_log_group_arn" {
  description = "ARN of the state machine's log group, or null when enable_step_function_logging is false."
  value       = one(aws_cloudwatch_log_group.state_machine[*].arn)
}

output "step_function_log_group_name" {
  description = "Name of the state machine's log group, or null when enable_step_function_logging is false."
  value       = one(aws_cloudwatch_log_group.state_machine[*].name)
}

output "plan_lambda_arn" {
  description = "ARN of the plan (the run's date prefix; the reference's date-prefix function) function."
  value       = aws_lambda_function.handler["plan"].arn
}

output "plan_lambda_name" {
  description = "Name of the plan (the run's date prefix; the reference's date-prefix function) function."
  value       = aws_lambda_function.handler["plan"].function_name
}

output "plan_lambda_execution_role_arn" {
  description = "ARN of the execution role of the plan function."
  value       = aws_iam_role.lambda["plan"].arn
}

output "discover_lambda_arn" {
  description = "ARN of the discover (lists the accounts; the reference's list-accounts function) function."
  value       = aws_lambda_function.handler["discover"].arn
}

output "discover_lambda_name" {
  description = "Name of the discover (lists the accounts; the reference's list-accounts function) function."
  value       = aws_lambda_function.handler["discover"].function_name
}

output "discover_lambda_execution_role_arn" {
  description = "ARN of the execution role of the discover function."
  value       = aws_iam_role.lambda["discover"].arn
}

output "scan_account_lambda_arn" {
  description = "ARN of the scan-account function."
  value       = aws_lambda_function.handler["scan-account"].arn
}

output "scan_account_lambda_name" {
  description = "Name of the scan-account function."
  value       = aws_lambda_function.handler["scan-account"].function_name
}

output "scan_account_lambda_execution_role_arn" {
  description = "ARN of the execution role of the scan-account function."
  value       = aws_iam_role.lambda["scan-account"].arn
}

output "credential_report_lambda_arn" {
  description = "ARN of the credential-report function."
  value       = aws_lambda_function.handler["credential-report"].arn
}

output "credential_report_lambda_name" {
  description = "Name of the credential-report function."
  value       = aws_lambda_function.handler["credential-report"].function_name
}

output "credential_report_lambda_execution_role_arn" {
  description = "ARN of the execution role of the credential-report function."
  value       = aws_iam_role.lambda["credential-report"].arn
}

output "index_lambda_arn" {
  description = "ARN of the index (builds index.sqlite; the reference's index-data function) function."
  value       = aws_lambda_function.handler["index"].arn
}

output "index_lambda_name" {
  description = "Name of the index (builds index.sqlite; the reference's index-data function) function."
  value       = aws_lambda_function.handler["index"].function_name
}

output "index_lambda_execution_role_arn" {
  description = "ARN of the execution role of the index function."
  value       = aws_iam_role.lambda["index"].arn
}

output "report_lambda_arn" {
  description = "ARN of the report function."
  value       = aws_lambda_function.handler["report"].arn
}

output "report_lambda_name" {
  description = "Name of the report function."
  value       = aws_lambda_function.handler["report"].function_name
}

output "report_lambda_execution_role_arn" {
  description = "ARN of the execution role of the report function."
  value       = aws_iam_role.lambda["report"].arn
}

output "diff_lambda_arn" {
  description = "ARN of the diff function."
  value       = aws_lambda_function.handler["diff"].arn
}

output "diff_lambda_name" {
  description = "Name of the diff function."
  value       = aws_lambda_function.handler["diff"].function_name
}

output "diff_lambda_execution_role_arn" {
  description = "ARN of the execution role of the diff function."
  value       = aws_iam_role.lambda["diff"].arn
}

output "finalize_lambda_arn" {
  description = "ARN of the finalize function."
  value       = aws_lambda_function.handler["finalize"].arn
}

output "finalize_lambda_name" {
  description = "Name of the finalize function."
  value       = aws_lambda_function.handler["finalize"].function_name
}

output "finalize_lambda_execution_role_arn" {
  description = "ARN of the execution role of the finalize function."
  value       = aws_iam_role.lambda["finalize"].arn
}

output "notify_summary_lambda_arn" {
  description = "ARN of the notify-summary function."
  value       = aws_lambda_function.handler["notify-summary"].arn
}

output "notify_summary_lambda_name" {
  description = "Name of the notify-summary function."
  value       = aws_lambda_function.handler["notify-summary"].function_name
}

output "notify_summary_lambda_execution_role_arn" {
  description = "ARN of the execution role of the notify-summary function."
  value       = aws_iam_role.lambda["notify-summary"].arn
}

output "date_prefix_lambda_arn" {
  description = "The reference's name for plan_lambda_arn."
  value       = aws_lambda_function.handler["plan"].arn
}

output "date_prefix_lambda_name" {
  description = "The reference's name for plan_lambda_name."
  value       = aws_lambda_function.handler["plan"].function_name
}

output "date_prefix_lambda_execution_role_arn" {
  description = "The reference's name for plan_lambda_execution_role_arn."
  value       = aws_iam_role.lambda["plan"].arn
}

output "list_accounts_lambda_arn" {
  description = "The reference's name for discover_lambda_arn."
  value       = aws_lambda_function.handler["discover"].arn
}

output "list_accounts_lambda_name" {
  description = "The reference's name for discover_lambda_name."
  value       = aws_lambda_function.handler["discover"].function_name
}

output "list_accounts_lambda_execution_role_arn" {
  description = "The reference's name for discover_lambda_execution_role_arn."
  value       = aws_iam_role.lambda["discover"].arn
}

output "index_data_lambda_arn" {
  description = "The reference's name for index_lambda_arn."
  value       = aws_lambda_function.handler["index"].arn
}

output "index_data_lambda_name" {
  description = "The reference's name for index_lambda_name."
  value       = aws_lambda_function.handler["index"].function_name
}

output "index_data_lambda_execution_role_arn" {
  description = "The reference's name for index_lambda_execution_role_arn."
  value       = aws_iam_role.lambda["index"].arn
}

output "config_report_lambda_arn" {
  description = "ARN of the config-report function, or null when enable_config_report is false."
  value       = one(aws_lambda_function.config_report[*].arn)
}

output "config_report_lambda_name" {
  description = "Name of the config-report function, or null when enable_config_report is false."
  value       = one(aws_lambda_function.config_report[*].function_name)
}

output "config_report_lambda_execution_role_arn" {
  description = "ARN of the execution role of the config-report function, or null when enable_config_report is false."
  value       = one(aws_iam_role.config_report[*].arn)
}

output "config_report_schedule_rule_arn" {
  description = "EventBridge rule invoking config-report, or null when it is off or unscheduled."
  value       = one(aws_cloudwatch_event_rule.config_report[*].arn)
}

output "config_report_store_prefix" {
  description = "Where config-report writes: <store>/<this>/<YYYY-MM-DD>/users.{csv,json,html}."
  value       = var.enable_config_report ? "s3://${local.bucket}/${local.key_prefix}${var.config_report_prefix}/" : null
}

output "schedule_rule_name" {
  description = "Name of the EventBridge rule starting the runs, or null when schedule_expression is empty."
  value       = one(aws_cloudwatch_event_rule.schedule[*].name)
}

output "schedule_rule_arn" {
  description = "ARN of the EventBridge rule starting the runs, or null when schedule_expression is empty."
  value       = one(aws_cloudwatch_event_rule.schedule[*].arn)
}

output "eventbridge_role_arn" {
  description = "Role EventBridge starts the runs with, or null when schedule_expression is empty."
  value       = one(aws_iam_role.schedule[*].arn)
}

output "is_scheduled" {
  description = "Whether the state machine runs on a schedule."
  value       = length(aws_cloudwatch_event_rule.schedule) > 0
}

output "function_arns" {
  description = "ARN of each pipeline function, by handler name."
  value       = { for k, f in aws_lambda_function.handler : k => f.arn }
}

output "function_names" {
  description = "Name of each pipeline function, by handler name."
  value       = { for k, f in aws_lambda_function.handler : k => f.function_name }
}

output "function_role_arns" {
  description = "Execution role ARN of each pipeline function, by handler name."
  value       = { for k, r in aws_iam_role.lambda : k => r.arn }
}

output "state_machine_role_arn" {
  description = "Deprecated: use step_function_execution_role_arn."
  value       = aws_iam_role.state_machine.arn
}

output "scan_role_arns" {
  description = "Roles of the scan-account, credential-report and scan-region functions."
  value       = [aws_iam_role.lambda["scan-account"].arn, aws_iam_role.lambda["credential-report"].arn, aws_iam_role.lambda["scan-region"].arn]
}

output "discover_role_arn" {
  description = "Role of the discover function."
  value       = aws_iam_role.lambda["discover"].arn
}

output "collect_role_trusted_principal_arns" {
  description = "ScanningPrincipalArns of the collect role template (what every collect role must trust)."
  value       = local.collect_role_trusted_principal_arns
}

output "collect_role_scanning_account_id" {
  description = "ScanningAccountId of the collect role template (\"\" when the principals are named directly)."
  value       = local.collect_role_scanning_account_id
}

output "list_accounts_role_trusted_principal_arns" {
  description = "DiscoverPrincipalArns of the list-accounts role template, in each organization's management account."
  value       = local.list_accounts_role_trusted_principal_arns
}

output "collect_role_stack_set_id" {
  description = "Id of the collect role StackSet, or null when create_collect_role_stackset is false."
  value       = one(aws_cloudformation_stack_set.collect_role[*].stack_set_id)
}

output "log_group_names" {
  description = "CloudWatch log groups: each function's by handler name, and the state machine's under \"state-machine\" when logging is on."
  value       = merge({ for k, g in aws_cloudwatch_log_group.lambda : k => g.name }, { for g in aws_cloudwatch_log_group.state_machine : "state-machine" => g.name }, { for g in aws_cloudwatch_log_group.config_report : "config-report" => g.name })
}

output "bucket" {
  description = "Bucket of the snapshots."
  value       = local.bucket
}

output "store_url" {
  description = "ORGIAM_STORE of the functions: point the CLI at it to read the runs (orgiam report users --store URL)."
  value       = local.store_url
}

output "kms_key_arn" {
  description = "KMS key of the store, or null when the store uses SSE-S3."
  value       = local.use_kms ? local.kms_key_arn : null
}

output "bucket_policy_json" {
  description = "Bucket policy granting this module's roles exactly what they need: apply it to a bucket owned by another account (storage_bucket_account_id), merged with that bucket's own statements."
  value       = jsonencode({ Version = "2012-10-17", Statement = concat(local.bucket_guard_statements, local.cross_account_bucket_statements) })
}

output "kms_key_policy_statements_json" {
  description = "Key policy statements granting this module's roles the use of kms_key_arn through S3: add them to the key policy when the key is owned by another account; null without a KMS key."
  value       = local.use_kms ? jsonencode([{ Sid = "OrgiamStoreRoles", Effect = "Allow", Principal = { AWS = [for r in local.store_roles : r.arn] }, Action = ["kms:GenerateDataKey", "kms:Decrypt"], Resource = "*", Condition = { StringEquals = { "kms:ViaService" = "s3.${local.bucket_region == "" ? local.region : local.bucket_region}.amazonaws.com" } } }]) : null
}

output "sns_topic_arn" {
  description = "Topic of the failure and summary notifications."
  value       = local.topic_arn
}
