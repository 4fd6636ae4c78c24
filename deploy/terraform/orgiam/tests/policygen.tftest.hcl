# The unattended policy generation (policygen.tf): off by default; on, one
# function with its own role, a state machine plan → Map over the principals
# → commit, and a schedule that passes the principals. Mocked provider, as
# plan.tftest.hcl.


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
}

run "policygen_off_by_default" {
  command = plan

  assert {
    condition     = length(aws_lambda_function.policygen) == 0 && length(aws_sfn_state_machine.policygen) == 0 && length(aws_cloudwatch_event_rule.policygen) == 0
    error_message = "no policy generation unless asked"
  }
}

run "policygen_on" {
  command = apply

  variables {
    enable_policygen         = true
    policygen_principals     = ["arn:aws:iam::111122223333:role/app", "arn:aws:iam::111122223333:user/ci"]
    policygen_cloudtrail_url = "s3://log-archive/trail/AWSLogs/"
    policygen_git_url        = "https://git.example.com/iam.git"
    policygen_git_path       = "iam"
    policygen_deny_rules     = ["iam:*"]
  }

  assert {
    condition     = aws_lambda_function.policygen[0].environment[0].variables.ORGIAM_HANDLER == "policygen" && aws_lambda_function.policygen[0].environment[0].variables.ORGIAM_STORE == "s3://orgiam-test-bucket/iam-data"
    error_message = "the function runs the policygen handler on the module's store"
  }
  assert {
    condition     = jsondecode(aws_sfn_state_machine.policygen[0].definition).StartAt == "Plan" && jsondecode(aws_sfn_state_machine.policygen[0].definition).States.Plan.Next == "Generate" && jsondecode(aws_sfn_state_machine.policygen[0].definition).States.Generate.Next == "Commit" && jsondecode(aws_sfn_state_machine.policygen[0].definition).States.Commit.End
    error_message = "plan → generate (Map) → commit"
  }
  assert {
    condition     = jsondecode(aws_sfn_state_machine.policygen[0].definition).States.Generate.ItemsPath == "$.plan.principals" && jsondecode(aws_sfn_state_machine.policygen[0].definition).States.Generate.ItemSelector.action == "generate" && jsondecode(aws_sfn_state_machine.policygen[0].definition).States.Generate.ItemSelector.cloudtrail == "s3://log-archive/trail/AWSLogs/" && jsondecode(aws_sfn_state_machine.policygen[0].definition).States.Generate.ItemSelector.deny == ["iam:*"] && !can(jsondecode(aws_sfn_state_machine.policygen[0].definition).States.Generate.ItemSelector.allow)
    error_message = "one Map item per principal, with the trail and only the rules given"
  }
  assert {
    condition     = jsondecode(aws_sfn_state_machine.policygen[0].definition).States.Commit.Parameters.Payload.git.url == "https://git.example.com/iam.git" && jsondecode(aws_sfn_state_machine.policygen[0].definition).States.Commit.Parameters.Payload.git.path == "iam" && jsondecode(aws_sfn_state_machine.policygen[0].definition).States.Commit.Parameters.Payload["items.$"] == "$.items"
    error_message = "commit gets the Map's outputs and the repository"
  }
  assert {
    condition     = aws_cloudwatch_event_rule.policygen[0].schedule_expression == "cron(0 5 ? * MON *)" && jsondecode(aws_cloudwatch_event_target.policygen[0].input).principals == ["arn:aws:iam::111122223333:role/app", "arn:aws:iam::111122223333:user/ci"]
    error_message = "the weekly schedule passes the principals"
  }
  assert {
    condition     = strcontains(aws_iam_role_policy.policygen[0].policy, "arn:aws:s3:::log-archive/trail/AWSLogs/*") && strcontains(aws_iam_role_policy.policygen[0].policy, "/policies/*") && !strcontains(aws_iam_role_policy.policygen[0].policy, "sts:AssumeRole")
    error_message = "the function reads the trail itself and writes only under policies/"
  }
  assert {
    condition     = jsondecode(aws_iam_role_policy.policygen_states[0].policy).Statement[0].Action == ["lambda:InvokeFunction"] && length(jsondecode(aws_iam_role_policy.policygen_states[0].policy).Statement) == 1
    error_message = "the state machine only invokes the function"
  }
  assert {
    condition     = length(aws_lambda_function.handler) == 11
    error_message = "the pipeline's functions are unchanged"
  }
}

run "policygen_trail_role" {
  command = apply

  variables {
    enable_policygen              = true
    policygen_principals          = ["arn:aws:iam::111122223333:role/app"]
    policygen_cloudtrail_url      = "s3://log-archive/AWSLogs/"
    policygen_trail_role_arn      = "arn:aws:iam::444455556666:role/trail-reader"
    policygen_schedule_expression = ""
  }

  assert {
    condition     = strcontains(aws_iam_role_policy.policygen[0].policy, "arn:aws:iam::444455556666:role/trail-reader") && !strcontains(aws_iam_role_policy.policygen[0].policy, "arn:aws:s3:::log-archive") && jsondecode(aws_sfn_state_machine.policygen[0].definition).States.Generate.ItemSelector.trailRole == "arn:aws:iam::444455556666:role/trail-reader"
    error_message = "with a trail role the function assumes it instead of reading the bucket"
  }
  assert {
    condition     = length(aws_cloudwatch_event_rule.policygen) == 0 && length(aws_sfn_state_machine.policygen) == 1
    error_message = "an empty schedule deploys the state machine without a rule"
  }
}

run "policygen_needs_a_trail" {
  command = plan

  variables {
    enable_policygen     = true
    policygen_principals = ["arn:aws:iam::111122223333:role/app"]
  }

  expect_failures = [aws_lambda_function.policygen]
}

run "policygen_bad_principal" {
  command = plan

  variables {
    policygen_principals = ["arn:aws:sts::111122223333:assumed-role/app/x"]
  }

  expect_failures = [var.policygen_principals]
}
