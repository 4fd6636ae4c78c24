# The operations fan-out (operations_fanout.tf), planned with the mocked
# provider of plan.tftest.hcl: off by default, on with a function, and the
# refused inputs.

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


run "operations_off_by_default" {
  command = apply

  assert {
    condition     = length(aws_sfn_state_machine.operations) == 0 && length(aws_lambda_function.operations) == 0 && length(aws_iam_role.operations_state_machine) == 0 && output.operations_state_machine_arn == null
    error_message = "no operations fan-out unless operations_fanout.enabled"
  }
}

run "operations_on" {
  command = apply
  variables {
    operations_fanout = {
      enabled         = true
      function_arn    = "arn:aws:lambda:us-east-1:123456789012:function:rotate-keys"
      regions         = ["eu-west-1", "us-east-1"]
      max_concurrency = 25
    }
    environment_variables = { ORGIAM_OUS = "ou-ab12-11111111" }
  }

  assert {
    condition     = length(aws_sfn_state_machine.operations) == 1 && aws_sfn_state_machine.operations[0].name == "orgiam-operations" && toset(keys(aws_lambda_function.operations)) == toset(["operations-items", "operations-results"])
    error_message = "one state machine and its two functions"
  }
  assert {
    condition     = jsondecode(aws_sfn_state_machine.operations[0].definition).States.FanOut.MaxConcurrency == 25 && jsondecode(aws_sfn_state_machine.operations[0].definition).States.FanOut.ToleratedFailurePercentage == 100 && jsondecode(aws_sfn_state_machine.operations[0].definition).States.FanOut.ItemProcessor.States.Invoke.Parameters.FunctionName == "arn:aws:lambda:us-east-1:123456789012:function:rotate-keys"
    error_message = "the Map invokes the given function with the given concurrency and tolerates every failure by default"
  }
  assert {
    condition     = aws_lambda_function.operations["operations-items"].environment[0].variables.ORGIAM_REGIONS == "eu-west-1,us-east-1" && aws_lambda_function.operations["operations-items"].environment[0].variables.ORGIAM_OUS == "ou-ab12-11111111" && aws_lambda_function.operations["operations-items"].environment[0].variables.ORGIAM_HANDLER == "operations-items"
    error_message = "the items function gets the regions and the same account filters as collect"
  }
  assert {
    condition     = toset([for s in jsondecode(aws_iam_role_policy.operations_state_machine[0].policy).Statement : s.Sid]) == toset(["InvokeFunctions", "RunMapChildExecutions", "ManageMapChildExecutions", "ReadItems", "WriteMapResults"]) && contains(flatten([for s in jsondecode(aws_iam_role_policy.operations_state_machine[0].policy).Statement : s.Resource if s.Sid == "InvokeFunctions"]), "arn:aws:lambda:us-east-1:123456789012:function:rotate-keys")
    error_message = "the state machine may invoke its functions and the user's, run its Map, read the items and write the Map's results only"
  }
  assert {
    condition     = toset([for s in jsondecode(aws_iam_role_policy.operations["operations-results"].policy).Statement : s.Sid]) == toset(["OwnLogs", "ReadRuns", "WriteResults", "PublishResults"]) && one([for s in jsondecode(aws_iam_role_policy.operations["operations-results"].policy).Statement : s.Resource if s.Sid == "WriteResults"]) == "arn:aws:s3:::orgiam-test-bucket/iam-data/*/exec/results.csv"
    error_message = "the result handler writes results.csv only, and publishes to the topic"
  }
  assert {
    condition     = toset([for s in jsondecode(aws_iam_role_policy.operations["operations-items"].policy).Statement : s.Sid]) == toset(["OwnLogs", "ListRunKeys", "ReadRuns", "AssumeListAccountsRoles", "WriteAccountList", "AssumeCollectRole", "WriteItems"])
    error_message = "the items function lists the organizations, assumes the collect roles (for all-enabled) and writes the items"
  }
  assert {
    condition     = length(aws_lambda_function.handler) == 11
    error_message = "the pipeline functions are unchanged"
  }
}

run "operations_all_enabled_regions" {
  command = plan
  variables {
    operations_fanout = { enabled = true, function_arn = "arn:aws:lambda:us-east-1:123456789012:function:rotate-keys" }
  }

  assert {
    condition     = aws_lambda_function.operations["operations-items"].environment[0].variables.ORGIAM_REGIONS == "all-enabled"
    error_message = "without regions, the items are every region enabled in each account"
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.operations["operations-items"].policy).Statement : s.Resource if s.Sid == "AssumeCollectRole"]) == ["arn:aws:iam::123456789012:role/orgiam-collect"] && toset(one([for s in jsondecode(aws_iam_role_policy.operations["operations-items"].policy).Statement : s.Resource if s.Sid == "WriteItems"])) == toset(["arn:aws:s3:::orgiam-test-bucket/iam-data/*/exec/items.json", "arn:aws:s3:::orgiam-test-bucket/iam-data/*/exec/region-errors.json"])
    error_message = "the items function assumes the collect roles to read each account's regions, and writes the items and the region errors only"
  }
}

run "refused_operations_without_function" {
  command = plan
  variables {
    operations_fanout = { enabled = true }
  }
  expect_failures = [var.operations_fanout]
}

run "refused_operations_function_arn" {
  command = plan
  variables {
    operations_fanout = { enabled = true, function_arn = "arn:aws:iam::123456789012:role/not-a-function" }
  }
  expect_failures = [var.operations_fanout]
}

run "refused_operations_region" {
  command = plan
  variables {
    operations_fanout = { enabled = true, function_arn = "arn:aws:lambda:us-east-1:123456789012:function:f", regions = ["eu-west-1", "Europe"] }
  }
  expect_failures = [var.operations_fanout]
}

run "refused_operations_max_concurrency" {
  command = plan
  variables {
    operations_fanout = { enabled = true, function_arn = "arn:aws:lambda:us-east-1:123456789012:function:f", max_concurrency = 0 }
  }
  expect_failures = [var.operations_fanout]
}

run "refused_operations_tolerated_failure_percentage" {
  command = plan
  variables {
    operations_fanout = { enabled = true, function_arn = "arn:aws:lambda:us-east-1:123456789012:function:f", tolerated_failure_percentage = 101 }
  }
  expect_failures = [var.operations_fanout]
}
