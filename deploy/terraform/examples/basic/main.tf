# A minimal deployment of orgiam: build the package first (make lambda, from
# the repository root), then terraform init && terraform apply here.

terraform {
  required_version = ">= 1.5.0"

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

variable "bucket_name" {
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

module "orgiam" {
  source = "../../orgiam"

  bucket_name             = var.bucket_name
  bucket_region           = var.region
  list_accounts_role_arns = var.list_accounts_role_arns
  lambda_zip_path         = "${path.root}/../../../../dist/orgiam-lambda.zip"
  notification_emails     = var.notification_emails

  collect_role_name       = "orgiam-collect"
  max_parallel_executions = 50
  schedule_expression     = "cron(0 4 * * ? *)"

  # Any ORGIAM_* setting of the CLI, e.g. a per-account time limit below the
  # Lambda timeout.
  extra_environment = {
    ORGIAM_ACCOUNT_TIMEOUT = "12m"
  }

  tags = {
    app = "orgiam"
  }
}

output "state_machine_arn" {
  value = module.orgiam.state_machine_arn
}

output "scan_role_arns" {
  description = "Trust these in the collect role StackSet (ScanningPrincipalArns)."
  value       = module.orgiam.scan_role_arns
}

output "discover_role_arn" {
  description = "Trust this in each list-accounts role (DiscoverPrincipalArn)."
  value       = module.orgiam.discover_role_arn
}

output "store_url" {
  value = module.orgiam.store_url
}
