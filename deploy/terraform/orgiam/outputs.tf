output "state_machine_arn" {
  description = "ARN of the state machine (start a run: aws stepfunctions start-execution --state-machine-arn … --input '{}')."
  value       = aws_sfn_state_machine.this.arn
}

output "state_machine_role_arn" {
  description = "ARN of the state machine's execution role."
  value       = aws_iam_role.state_machine.arn
}

output "function_arns" {
  description = "ARN of each function, by handler name."
  value       = { for k, f in aws_lambda_function.handler : k => f.arn }
}

output "function_names" {
  description = "Name of each function, by handler name."
  value       = { for k, f in aws_lambda_function.handler : k => f.function_name }
}

output "function_role_arns" {
  description = "Execution role ARN of each function, by handler name. The collect roles trust scan_role_arns; the list-accounts roles trust discover_role_arn."
  value       = { for k, r in aws_iam_role.lambda : k => r.arn }
}

output "scan_role_arns" {
  description = "Roles that assume the collect role (the scan-account and credential-report functions): the principals of the collect role's trust policy when no intermediate role is used."
  value       = [aws_iam_role.lambda["scan-account"].arn, aws_iam_role.lambda["credential-report"].arn]
}

output "discover_role_arn" {
  description = "Role of the discover function: the principal of the list-accounts roles' trust policy when no intermediate role is used."
  value       = aws_iam_role.lambda["discover"].arn
}

output "log_group_names" {
  description = "CloudWatch log groups: each function's by handler name, and the state machine's under \"state-machine\"."
  value       = merge({ for k, g in aws_cloudwatch_log_group.lambda : k => g.name }, { "state-machine" = aws_cloudwatch_log_group.state_machine.name })
}

output "bucket" {
  description = "Bucket of the snapshots."
  value       = local.bucket
}

output "store_url" {
  description = "ORGIAM_STORE of the functions: point the CLI at it to read the runs (orgiam report --store …)."
  value       = local.store_url
}

output "sns_topic_arn" {
  description = "Topic of the failure and summary notifications."
  value       = local.topic_arn
}

output "schedule_rule_arn" {
  description = "EventBridge rule starting the runs, or null when schedule_expression is empty."
  value       = one(aws_cloudwatch_event_rule.schedule[*].arn)
}
