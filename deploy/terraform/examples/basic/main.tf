# A deployment of orgiam in the account that runs the scans (see
# deploy/README.md for the order): build the package first (make lambda, from
# the repository root), then terraform init && terraform apply here.

terraform {
  required_version = ">= 1.9.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40.0"
    }
  }
}

provider "aws" {
  region = var.region
}

variable "region" {
  description = "Region of the deployment."
  type        = string
  default     = "us-east-1"
}

variable "storage_bucket_name" {
  description = "Name of the S3 bucket created for the snapshots (globally unique)."
  type        = string
}

variable "list_accounts_role_arns" {
  description = "The list-accounts role of each organization (deploy/cloudformation/list-accounts-role.yaml in its management account)."
  type        = list(string)
}

variable "notification_emails" {
  description = "Who receives failure and summary notifications."
  type        = list(string)
  default     = []
}

variable "lambda_zip_path" {
  description = "The package built by make lambda."
  type        = string
  default     = "../../../../dist/orgiam-lambda.zip"
}

variable "create_kms_key" {
  description = "Encrypt the snapshots with a KMS key of this account (SSE-KMS) instead of SSE-S3."
  type        = bool
  default     = false
}

variable "config_aggregator_name" {
  description = "Organization-wide AWS Config aggregator: set it to deploy the config-report function (the users report from AWS Config, monthly)."
  type        = string
  default     = null
}

module "orgiam" {
  source = "../../orgiam"

  storage_bucket_name     = var.storage_bucket_name
  storage_bucket_region   = var.region
  list_accounts_role_arns = var.list_accounts_role_arns
  lambda_zip_path         = var.lambda_zip_path
  notification_emails     = var.notification_emails
  create_kms_key          = var.create_kms_key

  enable_config_report   = var.config_aggregator_name != null
  config_aggregator_name = var.config_aggregator_name

  collect_role_name       = "orgiam-collect"
  max_parallel_executions = 50
  schedule_expression     = "cron(0 4 * * ? *)"

  # Any ORGIAM_* setting of the CLI, e.g. a per-account time limit below the
  # Lambda timeout.
  environment_variables = {
    ORGIAM_ACCOUNT_TIMEOUT = "12m"
  }

  tags = {
    app = "orgiam"
  }
}

output "state_machine_arn" {
  value = module.orgiam.state_machine_arn
}

output "collect_role_trusted_principal_arns" {
  description = "ScanningPrincipalArns of the collect role StackSet (deploy/cloudformation/collect-role.yaml)."
  value       = module.orgiam.collect_role_trusted_principal_arns
}

output "collect_role_scanning_account_id" {
  description = "ScanningAccountId of the collect role StackSet."
  value       = module.orgiam.collect_role_scanning_account_id
}

output "list_accounts_role_trusted_principal_arns" {
  description = "DiscoverPrincipalArns of each list-accounts role."
  value       = module.orgiam.list_accounts_role_trusted_principal_arns
}

output "store_url" {
  value = module.orgiam.store_url
}

output "sns_topic_arn" {
  value = module.orgiam.sns_topic_arn
}

# What the apply test reads back.
output "function_role_arns" {
  value = module.orgiam.function_role_arns
}

output "step_function_execution_role_arn" {
  value = module.orgiam.step_function_execution_role_arn
}

output "schedule_rule_name" {
  value = module.orgiam.schedule_rule_name
}

output "eventbridge_role_arn" {
  value = module.orgiam.eventbridge_role_arn
}

output "function_arns" {
  value = module.orgiam.function_arns
}

output "config_report_lambda_arn" {
  value = module.orgiam.config_report_lambda_arn
}

output "config_report_lambda_execution_role_arn" {
  value = module.orgiam.config_report_lambda_execution_role_arn
}
