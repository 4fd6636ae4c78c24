variable "function_name_prefix" {
  description = "Prefix of every Lambda function name: one function per handler, named <prefix>-<handler> (e.g. orgiam-scan-account)."
  type        = string
  default     = "orgiam"
}

variable "state_machine_name" {
  description = "Name of the Step Functions state machine."
  type        = string
  default     = "orgiam"
}

variable "bucket_name" {
  description = "S3 bucket holding the snapshots (ORGIAM_STORE=s3://<bucket_name>/<base_prefix>)."
  type        = string
}

variable "create_bucket" {
  description = "Create the bucket (encrypted, public access blocked). false: use an existing bucket named bucket_name, whose encryption and access settings are the caller's."
  type        = bool
  default     = true
}

variable "bucket_versioning" {
  description = "Enable versioning on the bucket created by this module."
  type        = bool
  default     = false
}

variable "bucket_region" {
  description = "Region of the bucket, passed in ORGIAM_STORE (?region=). Empty: the region of the functions."
  type        = string
  default     = ""
}

variable "base_prefix" {
  description = "Key prefix under which the dated runs are stored (no leading or trailing slash). Empty: the bucket root."
  type        = string
  default     = "orgiam"

  validation {
    condition     = !startswith(var.base_prefix, "/") && !endswith(var.base_prefix, "/")
    error_message = "base_prefix must not start or end with a slash."
  }
}

variable "collect_role_name" {
  description = "Name of the read-only role assumed in every scanned account (ORGIAM_COLLECT_ROLE); see deploy/cloudformation/collect-role.yaml."
  type        = string
  default     = "orgiam-collect"
}

variable "collect_role_path" {
  description = "Path of the collect role (ORGIAM_COLLECT_ROLE_PATH), starting and ending with a slash."
  type        = string
  default     = "/"

  validation {
    condition     = startswith(var.collect_role_path, "/") && endswith(var.collect_role_path, "/")
    error_message = "collect_role_path must start and end with a slash."
  }
}

variable "list_accounts_role_arns" {
  description = "One role ARN per AWS Organization that may list its accounts (ORGIAM_ORG_ROLES); see deploy/cloudformation/list-accounts-role.yaml."
  type        = list(string)

  validation {
    condition     = length(var.list_accounts_role_arns) > 0
    error_message = "list_accounts_role_arns needs at least one role ARN."
  }
}

variable "scan_initial_role_arn" {
  description = "Intermediate role assumed before the collect role (ORGIAM_INITIAL_ROLE). Empty: the functions assume the collect role directly."
  type        = string
  default     = ""
}

variable "list_initial_role_arn" {
  description = "Intermediate role assumed before the list-accounts roles (ORGIAM_LIST_INITIAL_ROLE). Empty: none."
  type        = string
  default     = ""
}

variable "external_id" {
  description = "External id passed on every AssumeRole into target accounts (ORGIAM_EXTERNAL_ID). Empty: none."
  type        = string
  default     = ""
  sensitive   = true
}

variable "max_parallel_executions" {
  description = "MaxConcurrency of the Distributed Map: accounts scanned at once."
  type        = number
  default     = 50

  validation {
    condition     = var.max_parallel_executions >= 1 && var.max_parallel_executions <= 10000
    error_message = "max_parallel_executions must be between 1 and 10000."
  }
}

variable "tolerated_failure_percentage" {
  description = "ToleratedFailurePercentage of the Distributed Map. Failed accounts end their branch successfully; this counts only child executions that failed outright."
  type        = number
  default     = 5

  validation {
    condition     = var.tolerated_failure_percentage >= 0 && var.tolerated_failure_percentage <= 100
    error_message = "tolerated_failure_percentage must be between 0 and 100."
  }
}

variable "credential_report_max_polls" {
  description = "Polls of GetCredentialReport before an account's report is given up (ORGIAM_CREDENTIAL_REPORT_MAX_POLLS). The state machine stops its poll loop a few iterations later as a safety net."
  type        = number
  default     = 45
}

variable "log_level" {
  description = "Application log level of the functions (Lambda JSON logging filter): debug, info, warn or error."
  type        = string
  default     = "info"

  validation {
    condition     = contains(["debug", "info", "warn", "error"], var.log_level)
    error_message = "log_level must be one of debug, info, warn, error."
  }
}

variable "log_retention_days" {
  description = "Retention of the CloudWatch log groups of the functions and of the state machine."
  type        = number
  default     = 30
}

variable "extra_environment" {
  description = "More environment variables for every function (e.g. ORGIAM_ACCOUNTS, ORGIAM_EXCLUDE_ACCOUNTS, ORGIAM_OUS). They override the module's own."
  type        = map(string)
  default     = {}
}

variable "schedule_expression" {
  description = "EventBridge schedule starting the state machine. Empty: no schedule."
  type        = string
  default     = "cron(0 4 * * ? *)"
}

variable "create_sns_topic" {
  description = "Create the SNS topic for failure and summary notifications. false: use sns_topic_arn."
  type        = bool
  default     = true
}

variable "sns_topic_arn" {
  description = "Existing SNS topic for notifications, used when create_sns_topic is false."
  type        = string
  default     = ""
}

variable "notification_emails" {
  description = "Email addresses subscribed to the notification topic (each must confirm the subscription)."
  type        = list(string)
  default     = []
}

variable "lambda_zip_path" {
  description = "Path of the deployment package built by `make lambda` (dist/orgiam-lambda.zip: one bootstrap binary for every handler)."
  type        = string
}

variable "lambda_architecture" {
  description = "Architecture the bootstrap binary was built for: arm64 (make lambda) or x86_64 (make lambda LAMBDA_ARCH=amd64)."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.lambda_architecture)
    error_message = "lambda_architecture must be arm64 or x86_64."
  }
}

variable "lambda_memory_mb" {
  description = "Memory of every function, in MB."
  type        = number
  default     = 512
}

variable "lambda_ephemeral_storage_mb" {
  description = "Size of /tmp of every function, in MB (index builds index.sqlite there)."
  type        = number
  default     = 1024

  validation {
    condition     = var.lambda_ephemeral_storage_mb >= 512 && var.lambda_ephemeral_storage_mb <= 10240
    error_message = "lambda_ephemeral_storage_mb must be between 512 and 10240."
  }
}

variable "lambda_timeout_seconds" {
  description = "Timeout of every function, in seconds (at most 900)."
  type        = number
  default     = 900

  validation {
    condition     = var.lambda_timeout_seconds >= 1 && var.lambda_timeout_seconds <= 900
    error_message = "lambda_timeout_seconds must be between 1 and 900."
  }
}

variable "tags" {
  description = "Tags applied to every resource that takes them."
  type        = map(string)
  default     = {}
}
