# Bad input is refused at plan time by the variable that holds it, and the
# expressions EventBridge documents as valid are accepted. The messages
# themselves are checked by deploy/terraform_test.go.

mock_provider "aws" {
  override_data {
    target = data.aws_caller_identity.current
    values = { account_id = "123456789012" }
  }
  override_data {
    target = data.aws_region.current
    values = { name = "us-east-1" }
  }
  override_data {
    target = data.aws_partition.current
    values = { partition = "aws" }
  }
  override_resource {
    target = aws_iam_role.lambda["plan"]
    values = { arn = "arn:aws:iam::123456789012:role/orgiam-plan" }
  }
  override_resource {
    target = aws_iam_role.lambda["discover"]
    values = { arn = "arn:aws:iam::123456789012:role/orgiam-discover" }
  }
  override_resource {
    target = aws_iam_role.lambda["scan-account"]
    values = { arn = "arn:aws:iam::123456789012:role/orgiam-scan-account" }
  }
  override_resource {
    target = aws_iam_role.lambda["credential-report"]
    values = { arn = "arn:aws:iam::123456789012:role/orgiam-credential-report" }
  }
  override_resource {
    target = aws_iam_role.lambda["index"]
    values = { arn = "arn:aws:iam::123456789012:role/orgiam-index" }
  }
  override_resource {
    target = aws_iam_role.lambda["report"]
    values = { arn = "arn:aws:iam::123456789012:role/orgiam-report" }
  }
  override_resource {
    target = aws_iam_role.lambda["finalize"]
    values = { arn = "arn:aws:iam::123456789012:role/orgiam-finalize" }
  }
  override_resource {
    target = aws_iam_role.lambda["notify-summary"]
    values = { arn = "arn:aws:iam::123456789012:role/orgiam-notify-summary" }
  }
  override_resource {
    target = aws_iam_role.state_machine
    values = { arn = "arn:aws:iam::123456789012:role/orgiam-states" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/orgiam-other" }
  }
  mock_resource "aws_lambda_function" {
    defaults = { arn = "arn:aws:lambda:us-east-1:123456789012:function:orgiam-mock" }
  }
  mock_resource "aws_sfn_state_machine" {
    defaults = { arn = "arn:aws:states:us-east-1:123456789012:stateMachine:orgiam" }
  }
  mock_resource "aws_cloudwatch_event_rule" {
    defaults = { arn = "arn:aws:events:us-east-1:123456789012:rule/orgiam-schedule" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/mock" }
  }
  mock_resource "aws_s3_bucket" {
    defaults = { id = "orgiam-test-bucket" }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:us-east-1:123456789012:orgiam-notifications" }
  }
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:us-east-1:123456789012:key/0d1f6e2c-0000-4000-8000-000000000001" }
  }
}

variables {
  storage_bucket_name     = "orgiam-test-bucket"
  list_accounts_role_arns = ["arn:aws:iam::111111111111:role/orgiam-list-accounts"]
  lambda_zip_path         = "tests/bootstrap.zip"
  enable_config_report    = true
  config_aggregator_name  = "org-aggregator"
}

run "accepted_schedules_0" {
  command = plan
  variables {
    schedule_expression               = "cron(0 10 * * ? *)"
    config_report_schedule_expression = "rate(1 minute)"
  }
}

run "accepted_schedules_1" {
  command = plan
  variables {
    schedule_expression               = "cron(15 12 * * ? *)"
    config_report_schedule_expression = "rate(5 minutes)"
  }
}

run "accepted_schedules_2" {
  command = plan
  variables {
    schedule_expression               = "cron(0 18 ? * MON-FRI *)"
    config_report_schedule_expression = "rate(1 hour)"
  }
}

run "accepted_schedules_3" {
  command = plan
  variables {
    schedule_expression               = "cron(0 8 1 * ? *)"
    config_report_schedule_expression = "rate(12 hours)"
  }
}

run "accepted_schedules_4" {
  command = plan
  variables {
    schedule_expression               = "cron(0/15 * * * ? *)"
    config_report_schedule_expression = "rate(1 day)"
  }
}

run "accepted_schedules_5" {
  command = plan
  variables {
    schedule_expression               = "cron(0/10 * ? * MON-FRI *)"
    config_report_schedule_expression = "rate(7 days)"
  }
}

run "accepted_schedules_6" {
  command = plan
  variables {
    schedule_expression               = "cron(0/5 8-17 ? * MON-FRI *)"
    config_report_schedule_expression = "cron(0 9 ? * 2#1 *)"
  }
}

run "accepted_schedules_7" {
  command = plan
  variables {
    schedule_expression               = "cron(0 0 L * ? *)"
    config_report_schedule_expression = "cron(0 0 ? * 6L *)"
  }
}

run "accepted_schedules_8" {
  command = plan
  variables {
    schedule_expression               = "cron(0 0 15W * ? *)"
    config_report_schedule_expression = "cron(0 0 LW * ? *)"
  }
}

run "accepted_schedules_9" {
  command = plan
  variables {
    schedule_expression               = "cron(30 2 ? JAN,JUL MON 2027-2030)"
    config_report_schedule_expression = "cron(0 4 * * ? *)"
  }
}

run "accepted_schedules_10" {
  command = plan
  variables {
    schedule_expression               = ""
    config_report_schedule_expression = ""
  }
}

run "refused_schedule_0" {
  command = plan
  variables {
    schedule_expression = "cron(0 4 * * * *)"
  }
  expect_failures = [var.schedule_expression]
}

run "refused_schedule_1" {
  command = plan
  variables {
    schedule_expression = "cron(0 4 ? * ? *)"
  }
  expect_failures = [var.schedule_expression]
}

run "refused_schedule_2" {
  command = plan
  variables {
    schedule_expression = "cron(0 4 * * ?)"
  }
  expect_failures = [var.schedule_expression]
}

run "refused_schedule_3" {
  command = plan
  variables {
    schedule_expression = "cron(60 4 * * ? *)"
  }
  expect_failures = [var.schedule_expression]
}

run "refused_schedule_4" {
  command = plan
  variables {
    schedule_expression = "cron(0 24 * * ? *)"
  }
  expect_failures = [var.schedule_expression]
}

run "refused_schedule_5" {
  command = plan
  variables {
    schedule_expression = "cron(0 4 32 * ? *)"
  }
  expect_failures = [var.schedule_expression]
}

run "refused_schedule_6" {
  command = plan
  variables {
    schedule_expression = "cron(0 4 ? * 8 *)"
  }
  expect_failures = [var.schedule_expression]
}

run "refused_schedule_7" {
  command = plan
  variables {
    schedule_expression = "cron(0 4 ? * MON#6 *)"
  }
  expect_failures = [var.schedule_expression]
}

run "refused_schedule_8" {
  command = plan
  variables {
    schedule_expression = "cron(0 4 * 13 ? *)"
  }
  expect_failures = [var.schedule_expression]
}

run "refused_schedule_9" {
  command = plan
  variables {
    schedule_expression = "cron(0 4 * * ? 1969)"
  }
  expect_failures = [var.schedule_expression]
}

run "refused_schedule_10" {
  command = plan
  variables {
    schedule_expression = "rate(1 minutes)"
  }
  expect_failures = [var.schedule_expression]
}

run "refused_schedule_11" {
  command = plan
  variables {
    schedule_expression = "rate(5 minute)"
  }
  expect_failures = [var.schedule_expression]
}

run "refused_schedule_12" {
  command = plan
  variables {
    schedule_expression = "rate(0 minutes)"
  }
  expect_failures = [var.schedule_expression]
}

run "refused_schedule_13" {
  command = plan
  variables {
    schedule_expression = "rate(2 weeks)"
  }
  expect_failures = [var.schedule_expression]
}

run "refused_schedule_14" {
  command = plan
  variables {
    schedule_expression = "0 4 * * *"
  }
  expect_failures = [var.schedule_expression]
}

run "refused_schedule_15" {
  command = plan
  variables {
    schedule_expression = "cron(0  4 * * ? *)"
  }
  expect_failures = [var.schedule_expression]
}

run "refused_config_report_schedule" {
  command = plan
  variables {
    config_report_schedule_expression = "cron(0 9 * * 2#1 *)"
  }
  expect_failures = [var.config_report_schedule_expression]
}

run "refused_list_accounts_role_arns_1" {
  command = plan
  variables {
    list_accounts_role_arns = ["arn:aws:iam::111111111111:user/someone"]
  }
  expect_failures = [var.list_accounts_role_arns]
}

run "refused_list_accounts_role_arns_2" {
  command = plan
  variables {
    list_accounts_role_arns = ["orgiam-list-accounts"]
  }
  expect_failures = [var.list_accounts_role_arns]
}

run "refused_scan_initial_role_arn_1" {
  command = plan
  variables {
    scan_initial_role_arn = "arn:aws:iam::12345:role/hop"
  }
  expect_failures = [var.scan_initial_role_arn]
}

run "refused_list_accounts_initial_role_arn_1" {
  command = plan
  variables {
    list_accounts_initial_role_arn = "role/hop"
  }
  expect_failures = [var.list_accounts_initial_role_arn]
}

run "refused_sns_topic_arn_1" {
  command = plan
  variables {
    sns_topic_arn = "arn:aws:sqs:us-east-1:123456789012:queue"
  }
  expect_failures = [var.sns_topic_arn]
}

run "refused_kms_key_arn_1" {
  command = plan
  variables {
    kms_key_arn = "alias/orgiam"
  }
  expect_failures = [var.kms_key_arn]
}

run "refused_config_aggregator_arn_1" {
  command = plan
  variables {
    config_aggregator_arn = "arn:aws:config:us-east-1:123456789012:config-aggregator/org-aggregator"
  }
  expect_failures = [var.config_aggregator_arn]
}

run "refused_base_s3_prefix_1" {
  command = plan
  variables {
    base_s3_prefix = "/iam-data"
  }
  expect_failures = [var.base_s3_prefix]
}

run "refused_base_s3_prefix_2" {
  command = plan
  variables {
    base_s3_prefix = "iam-data/"
  }
  expect_failures = [var.base_s3_prefix]
}

run "refused_config_report_prefix_1" {
  command = plan
  variables {
    config_report_prefix = "/config-reports"
  }
  expect_failures = [var.config_report_prefix]
}

run "refused_max_parallel_executions_1" {
  command = plan
  variables {
    max_parallel_executions = 0
  }
  expect_failures = [var.max_parallel_executions]
}

run "refused_max_parallel_executions_2" {
  command = plan
  variables {
    max_parallel_executions = 10001
  }
  expect_failures = [var.max_parallel_executions]
}

run "refused_max_parallel_executions_3" {
  command = plan
  variables {
    max_parallel_executions = 2.5
  }
  expect_failures = [var.max_parallel_executions]
}

run "refused_collect_role_path_1" {
  command = plan
  variables {
    collect_role_path = "security"
  }
  expect_failures = [var.collect_role_path]
}

run "refused_storage_bucket_name_1" {
  command = plan
  variables {
    storage_bucket_name = "Not_A_Bucket"
  }
  expect_failures = [var.storage_bucket_name]
}

run "refused_storage_bucket_account_id_1" {
  command = plan
  variables {
    storage_bucket_account_id = "12345"
  }
  expect_failures = [var.storage_bucket_account_id]
}

run "refused_collect_role_stackset_ou_ids_1" {
  command = plan
  variables {
    collect_role_stackset_ou_ids = ["root"]
  }
  expect_failures = [var.collect_role_stackset_ou_ids]
}

run "refused_log_retention_days_1" {
  command = plan
  variables {
    log_retention_days = 10
  }
  expect_failures = [var.log_retention_days]
}

run "refused_storage_type_1" {
  command = plan
  variables {
    storage_type = "sqlite"
  }
  expect_failures = [var.storage_type]
}

run "refused_credential_report_wait_seconds_1" {
  command = plan
  variables {
    credential_report_wait_seconds = 301
  }
  expect_failures = [var.credential_report_wait_seconds]
}
