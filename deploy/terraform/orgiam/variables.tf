# Inputs. The names, meanings and defaults of the first group are those of
# the iam-collect Step Functions module (infrastructure_as_code/terraform/
# collect-step-function), so that a caller of that module can switch by
# changing only the source; orgiam's own inputs follow, then the deprecated
# names of earlier releases (each still honoured, with a warning).

# ------------------------------------------------------------ reference inputs

variable "function_name_prefix" {
  description = "Prefix of every Lambda function name: one function per handler, named <prefix>-<handler> (e.g. orgiam-scan-account)."
  type        = string
  default     = "orgiam"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,40}$", var.function_name_prefix))
    error_message = "function_name_prefix must be 1 to 40 letters, digits, hyphens or underscores (the longest handler name is appended to it, within Lambda's 64-character limit)."
  }
}

variable "state_machine_name" {
  description = "Name of the Step Functions state machine."
  type        = string
  default     = "orgiam"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,73}$", var.state_machine_name))
    error_message = "state_machine_name must be 1 to 73 letters, digits, hyphens or underscores (the Distributed Map's child executions add to it)."
  }
}

variable "storage_bucket_name" {
  description = "S3 bucket holding the snapshots (ORGIAM_STORE=s3://<storage_bucket_name>/<base_s3_prefix>). Required (the deprecated bucket_name is still read when this is unset)."
  type        = string
  default     = null

  validation {
    condition     = var.storage_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.storage_bucket_name))
    error_message = "storage_bucket_name must be a valid S3 bucket name: 3 to 63 lowercase letters, digits, dots or hyphens, starting and ending with a letter or digit."
  }
}

variable "storage_bucket_region" {
  description = "Region of the bucket, passed in ORGIAM_STORE (?region=). Null or empty: the region of the functions."
  type        = string
  default     = null

  validation {
    condition     = var.storage_bucket_region == null || var.storage_bucket_region == "" || can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.storage_bucket_region))
    error_message = "storage_bucket_region must be an AWS region name such as us-east-1."
  }
}

variable "collect_role_name" {
  description = "Name of the read-only role assumed in every scanned account (ORGIAM_COLLECT_ROLE); see templates/collect-role.yaml."
  type        = string
  default     = "orgiam-collect"

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.collect_role_name))
    error_message = "collect_role_name must be an IAM role name: 1 to 64 characters among letters, digits and +=,.@_-."
  }
}

variable "collect_role_path" {
  description = "Path of the collect role (ORGIAM_COLLECT_ROLE_PATH), starting and ending with a slash."
  type        = string
  default     = "/"

  validation {
    condition     = can(regex("^/([!-~]*/)?$", var.collect_role_path))
    error_message = "collect_role_path must start and end with a slash (e.g. \"/\" or \"/security/\")."
  }
}

variable "list_accounts_role_arns" {
  description = "One role ARN per AWS Organization that may list its accounts (ORGIAM_ORG_ROLES); see deploy/cloudformation/list-accounts-role.yaml."
  type        = list(string)

  validation {
    condition     = length(var.list_accounts_role_arns) > 0
    error_message = "list_accounts_role_arns needs at least one role ARN."
  }
  validation {
    condition     = alltrue([for a in var.list_accounts_role_arns : can(regex(local.role_arn_regex, a))])
    error_message = "list_accounts_role_arns: not IAM role ARNs (arn:<partition>:iam::<12-digit account>:role/<name>): ${join(", ", [for a in var.list_accounts_role_arns : a if !can(regex(local.role_arn_regex, a))])}."
  }
}

variable "scan_initial_role_arn" {
  description = "Role assumed first, from which the collect role of each account is assumed (ORGIAM_INITIAL_ROLE). Null (the default): the collect role of the account this module is deployed in. Empty string: none, the functions assume the collect roles directly."
  type        = string
  default     = null

  validation {
    condition     = var.scan_initial_role_arn == null || var.scan_initial_role_arn == "" || can(regex(local.role_arn_regex, var.scan_initial_role_arn))
    error_message = "scan_initial_role_arn must be null, \"\" or an IAM role ARN (arn:<partition>:iam::<12-digit account>:role/<name>)."
  }
}

variable "list_accounts_initial_role_arn" {
  description = "Role assumed first, from which the list-accounts roles are assumed (ORGIAM_LIST_INITIAL_ROLE). Null (the default): the collect role of the account this module is deployed in. Empty string: none."
  type        = string
  default     = null

  validation {
    condition     = var.list_accounts_initial_role_arn == null || var.list_accounts_initial_role_arn == "" || can(regex(local.role_arn_regex, var.list_accounts_initial_role_arn))
    error_message = "list_accounts_initial_role_arn must be null, \"\" or an IAM role ARN (arn:<partition>:iam::<12-digit account>:role/<name>)."
  }
}

variable "max_parallel_executions" {
  description = "MaxConcurrency of the Distributed Map: accounts scanned at once."
  type        = number
  default     = 50

  validation {
    condition     = var.max_parallel_executions >= 1 && var.max_parallel_executions <= 10000 && floor(var.max_parallel_executions) == var.max_parallel_executions
    error_message = "max_parallel_executions must be a whole number between 1 and 10000 (the Distributed Map's limit)."
  }
}

variable "base_s3_prefix" {
  description = "Key prefix under which the dated runs are stored (no leading or trailing slash). Empty: the bucket root."
  type        = string
  default     = "iam-data"

  validation {
    condition     = !startswith(var.base_s3_prefix, "/") && !endswith(var.base_s3_prefix, "/") && !strcontains(var.base_s3_prefix, "//")
    error_message = "base_s3_prefix must not start or end with a slash nor contain \"//\" (e.g. \"iam-data\" or \"security/iam\")."
  }
}

variable "storage_type" {
  description = "Where the snapshots are stored. orgiam's functions store to S3 only (the SQLite index is built inside each run): \"s3\"."
  type        = string
  default     = "s3"

  validation {
    condition     = var.storage_type == "s3"
    error_message = "storage_type must be \"s3\": orgiam's functions share no disk, so the runs are stored in S3 and each run's SQLite index (index.sqlite) is built into the same bucket."
  }
}

variable "enable_step_function_logging" {
  description = "Send the state machine's execution history (level ERROR, no execution data) to a CloudWatch log group."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Retention of the CloudWatch log groups of the functions and of the state machine, in days."
  type        = number
  default     = 14

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of CloudWatch's retention values: 0 (never expire), 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "environment_variables" {
  description = "More environment variables for every function (e.g. ORGIAM_ACCOUNTS, ORGIAM_EXCLUDE_ACCOUNTS, ORGIAM_OUS). They override the module's own."
  type        = map(string)
  default     = {}
}

variable "schedule_expression" {
  description = "EventBridge schedule starting the state machine, cron(min hour day-of-month month day-of-week year) or rate(n unit), in UTC. Empty: no schedule."
  type        = string
  default     = "cron(0 4 * * ? *)"
  nullable    = false

  validation {
    condition     = var.schedule_expression == "" || startswith(var.schedule_expression, "rate(") || (startswith(var.schedule_expression, "cron(") && endswith(var.schedule_expression, ")"))
    error_message = "schedule_expression ${jsonencode(var.schedule_expression)}: must be \"\" (no schedule), cron(minutes hours day-of-month month day-of-week year) or rate(value unit), as EventBridge rules take them."
  }
  validation {
    condition     = !startswith(var.schedule_expression, "rate(") || can(regex(local.rate_regex, var.schedule_expression))
    error_message = "schedule_expression ${jsonencode(var.schedule_expression)}: rate(value unit) takes a whole number above 0 and minute, hour or day, singular for 1 and plural above it (rate(1 hour), rate(15 minutes))."
  }
  validation {
    condition     = !(startswith(var.schedule_expression, "cron(") && endswith(var.schedule_expression, ")")) || length(split(" ", trimsuffix(trimprefix(var.schedule_expression, "cron("), ")"))) == 6
    error_message = "schedule_expression ${jsonencode(var.schedule_expression)}: cron() takes 6 fields separated by single spaces (minutes hours day-of-month month day-of-week year), found ${length(split(" ", trimsuffix(trimprefix(var.schedule_expression, "cron("), ")")))}."
  }
  validation {
    condition     = ((startswith(var.schedule_expression, "cron(") && endswith(var.schedule_expression, ")")) && length(split(" ", trimsuffix(trimprefix(var.schedule_expression, "cron("), ")"))) == 6) ? alltrue([for i, f in split(" ", trimsuffix(trimprefix(var.schedule_expression, "cron("), ")")) : can(regex(local.cron_field_regexes[i], upper(f)))]) : true
    error_message = "schedule_expression ${jsonencode(var.schedule_expression)}: cron field ${join(", ", [for i, f in split(" ", trimsuffix(trimprefix(var.schedule_expression, "cron("), ")")) : "${try(local.cron_field_names[i], "?")} ${jsonencode(f)}" if !can(regex(local.cron_field_regexes[i], upper(f)))])} is not valid (minutes 0-59, hours 0-23, day-of-month 1-31 or ? L LW nW, month 1-12 or JAN-DEC, day-of-week 1-7 or SUN-SAT or ? L nL n#k, year 1970-2199; lists with , - * /)."
  }
  validation {
    condition     = ((startswith(var.schedule_expression, "cron(") && endswith(var.schedule_expression, ")")) && length(split(" ", trimsuffix(trimprefix(var.schedule_expression, "cron("), ")"))) == 6) ? length([for i in [2, 4] : i if split(" ", trimsuffix(trimprefix(var.schedule_expression, "cron("), ")"))[i] == "?"]) == 1 : true
    error_message = "schedule_expression ${jsonencode(var.schedule_expression)}: exactly one of day-of-month and day-of-week must be ? (EventBridge refuses a value in both, and ? in both)."
  }
}

variable "tags" {
  description = "Tags applied to every resource that takes them."
  type        = map(string)
  default     = {}
}

# ------------------------------------------------------------ orgiam's inputs

variable "create_bucket" {
  description = "Create the bucket (encrypted, public access blocked, TLS only). false: use an existing bucket named storage_bucket_name, whose settings are the caller's (the bucket policy it needs is the output bucket_policy_json)."
  type        = bool
  default     = true
}

variable "storage_bucket_account_id" {
  description = "Account owning an existing bucket (a separate logging account, for example). Null: this account. When it is another account, create_bucket must be false and the bucket owner applies the output bucket_policy_json (and, with a KMS key of that account, kms_key_policy_json)."
  type        = string
  default     = null

  validation {
    condition     = var.storage_bucket_account_id == null || can(regex("^[0-9]{12}$", var.storage_bucket_account_id))
    error_message = "storage_bucket_account_id must be a 12-digit AWS account id."
  }
}

variable "bucket_versioning" {
  description = "Enable versioning on the bucket created by this module."
  type        = bool
  default     = false
}

variable "create_kms_key" {
  description = "Create a customer managed KMS key (rotation on) and encrypt the bucket created by this module with it (SSE-KMS with an S3 bucket key). The functions and the state machine are granted kms:GenerateDataKey and kms:Decrypt on it."
  type        = bool
  default     = false
}

variable "kms_key_arn" {
  description = "An existing KMS key the bucket's objects are encrypted with (SSE-KMS). The functions and the state machine are granted kms:GenerateDataKey and kms:Decrypt on it; a created bucket uses it as its default encryption. Null: none (SSE-S3), unless create_kms_key."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<12-digit account>:key/<key id>); an alias is not accepted because IAM policies match the key ARN."
  }
}

variable "kms_key_deletion_window_days" {
  description = "Waiting period before a key created by this module is deleted (7 to 30 days)."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_key_deletion_window_days >= 7 && var.kms_key_deletion_window_days <= 30
    error_message = "kms_key_deletion_window_days must be between 7 and 30."
  }
}

variable "external_id" {
  description = "External id passed on every AssumeRole into target accounts (ORGIAM_EXTERNAL_ID). Empty: none."
  type        = string
  default     = ""
  sensitive   = true
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
  description = "Polls of GetCredentialReport before an account's report is given up (ORGIAM_CREDENTIAL_REPORT_MAX_POLLS; the reference polls 45 times). The state machine stops its poll loop a few iterations later as a safety net."
  type        = number
  default     = 45

  validation {
    condition     = var.credential_report_max_polls >= 1 && var.credential_report_max_polls <= 500 && floor(var.credential_report_max_polls) == var.credential_report_max_polls
    error_message = "credential_report_max_polls must be a whole number between 1 and 500."
  }
}

variable "credential_report_wait_seconds" {
  description = "Wait before the first credential report poll, in seconds (ORGIAM_CREDENTIAL_REPORT_WAIT); later waits grow by half each time up to 30 s, and a first wait above 30 s is kept for every poll (60: a minute between polls, as the reference waits)."
  type        = number
  default     = 2

  validation {
    condition     = var.credential_report_wait_seconds >= 1 && var.credential_report_wait_seconds <= 300 && floor(var.credential_report_wait_seconds) == var.credential_report_wait_seconds
    error_message = "credential_report_wait_seconds must be a whole number between 1 and 300."
  }
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

variable "create_sns_topic" {
  description = "Create the SNS topic for failure and summary notifications. false: use sns_topic_arn."
  type        = bool
  default     = true
}

variable "sns_topic_arn" {
  description = "Existing SNS topic for notifications, used when create_sns_topic is false."
  type        = string
  default     = ""

  validation {
    condition     = var.sns_topic_arn == "" || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}(\\.fifo)?$", var.sns_topic_arn))
    error_message = "sns_topic_arn must be an SNS topic ARN (arn:<partition>:sns:<region>:<12-digit account>:<topic name>)."
  }
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

  validation {
    condition     = var.lambda_memory_mb >= 128 && var.lambda_memory_mb <= 10240
    error_message = "lambda_memory_mb must be between 128 and 10240."
  }
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

# ------------------------------------------------------------ collect role StackSet

variable "create_collect_role_stackset" {
  description = "Deploy the collect role (templates/collect-role.yaml) to the member accounts of the organization as a service-managed StackSet with automatic deployment. The provider of this module must then be the management account, or a delegated administrator for StackSets with collect_role_stackset_call_as = \"DELEGATED_ADMIN\"."
  type        = bool
  default     = false
}

variable "collect_role_stackset_name" {
  description = "Name of the StackSet (and of the management account stack) of the collect role."
  type        = string
  default     = "orgiam-collect-role"
}

variable "collect_role_stackset_ou_ids" {
  description = "Organizational units (or the root, r-xxxx) the StackSet deploys to; accounts added to them later get the role automatically."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.collect_role_stackset_ou_ids : can(regex("^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$", id))])
    error_message = "collect_role_stackset_ou_ids must hold organization root ids (r-xxxx) or OU ids (ou-xxxx-xxxxxxxx)."
  }
}

variable "collect_role_stackset_region" {
  description = "Region of the StackSet's stack instances (IAM is global: one region is enough). Null: the region of the provider."
  type        = string
  default     = null
}

variable "collect_role_stackset_call_as" {
  description = "SELF when the provider is the organization's management account, DELEGATED_ADMIN when it is a delegated administrator for StackSets."
  type        = string
  default     = "SELF"

  validation {
    condition     = contains(["SELF", "DELEGATED_ADMIN"], var.collect_role_stackset_call_as)
    error_message = "collect_role_stackset_call_as must be SELF or DELEGATED_ADMIN."
  }
}

variable "create_collect_role_management_stack" {
  description = "With the StackSet, also create the collect role in the account of the provider as a plain stack (StackSets never deploy to the management account). Set false with DELEGATED_ADMIN and deploy the stack in the management account yourself."
  type        = bool
  default     = true
}

# ------------------------------------------------------------ Config aggregator users report

variable "enable_config_report" {
  description = "Deploy the config-report function: the organization-wide IAM users report read from an AWS Config aggregator (no role needed in the member accounts), on its own schedule, written to <base_s3_prefix>/<config_report_prefix>/<YYYY-MM-DD>/users.{csv,json,html}."
  type        = bool
  default     = false
}

variable "config_report_schedule_expression" {
  description = "EventBridge schedule of the config-report function (UTC). The default is 09:00 on the first Monday of each month. Empty: no schedule (invoke the function yourself)."
  type        = string
  default     = "cron(0 9 ? * 2#1 *)"
  nullable    = false

  validation {
    condition     = var.config_report_schedule_expression == "" || startswith(var.config_report_schedule_expression, "rate(") || (startswith(var.config_report_schedule_expression, "cron(") && endswith(var.config_report_schedule_expression, ")"))
    error_message = "config_report_schedule_expression ${jsonencode(var.config_report_schedule_expression)}: must be \"\" (no schedule), cron(minutes hours day-of-month month day-of-week year) or rate(value unit), as EventBridge rules take them."
  }
  validation {
    condition     = !startswith(var.config_report_schedule_expression, "rate(") || can(regex(local.rate_regex, var.config_report_schedule_expression))
    error_message = "config_report_schedule_expression ${jsonencode(var.config_report_schedule_expression)}: rate(value unit) takes a whole number above 0 and minute, hour or day, singular for 1 and plural above it (rate(1 hour), rate(15 minutes))."
  }
  validation {
    condition     = !(startswith(var.config_report_schedule_expression, "cron(") && endswith(var.config_report_schedule_expression, ")")) || length(split(" ", trimsuffix(trimprefix(var.config_report_schedule_expression, "cron("), ")"))) == 6
    error_message = "config_report_schedule_expression ${jsonencode(var.config_report_schedule_expression)}: cron() takes 6 fields separated by single spaces (minutes hours day-of-month month day-of-week year), found ${length(split(" ", trimsuffix(trimprefix(var.config_report_schedule_expression, "cron("), ")")))}."
  }
  validation {
    condition     = ((startswith(var.config_report_schedule_expression, "cron(") && endswith(var.config_report_schedule_expression, ")")) && length(split(" ", trimsuffix(trimprefix(var.config_report_schedule_expression, "cron("), ")"))) == 6) ? alltrue([for i, f in split(" ", trimsuffix(trimprefix(var.config_report_schedule_expression, "cron("), ")")) : can(regex(local.cron_field_regexes[i], upper(f)))]) : true
    error_message = "config_report_schedule_expression ${jsonencode(var.config_report_schedule_expression)}: cron field ${join(", ", [for i, f in split(" ", trimsuffix(trimprefix(var.config_report_schedule_expression, "cron("), ")")) : "${try(local.cron_field_names[i], "?")} ${jsonencode(f)}" if !can(regex(local.cron_field_regexes[i], upper(f)))])} is not valid (minutes 0-59, hours 0-23, day-of-month 1-31 or ? L LW nW, month 1-12 or JAN-DEC, day-of-week 1-7 or SUN-SAT or ? L nL n#k, year 1970-2199; lists with , - * /)."
  }
  validation {
    condition     = ((startswith(var.config_report_schedule_expression, "cron(") && endswith(var.config_report_schedule_expression, ")")) && length(split(" ", trimsuffix(trimprefix(var.config_report_schedule_expression, "cron("), ")"))) == 6) ? length([for i in [2, 4] : i if split(" ", trimsuffix(trimprefix(var.config_report_schedule_expression, "cron("), ")"))[i] == "?"]) == 1 : true
    error_message = "config_report_schedule_expression ${jsonencode(var.config_report_schedule_expression)}: exactly one of day-of-month and day-of-week must be ? (EventBridge refuses a value in both, and ? in both)."
  }
}

variable "config_aggregator_name" {
  description = "Name of the organization-wide AWS Config aggregator queried by config-report (ORGIAM_CONFIG_AGGREGATOR). Required with enable_config_report."
  type        = string
  default     = null

  validation {
    condition     = var.config_aggregator_name == null || can(regex("^[A-Za-z0-9_-]{1,256}$", var.config_aggregator_name))
    error_message = "config_aggregator_name must be 1 to 256 letters, digits, hyphens or underscores."
  }
}

variable "config_aggregator_region" {
  description = "Region of the aggregator (ORGIAM_CONFIG_AGGREGATOR_REGION). Null: the region of the functions."
  type        = string
  default     = null

  validation {
    condition     = var.config_aggregator_region == null || can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.config_aggregator_region))
    error_message = "config_aggregator_region must be an AWS region name such as us-east-1."
  }
}

variable "config_aggregator_arn" {
  description = "ARN of the aggregator (arn:<partition>:config:<region>:<account>:config-aggregator/config-aggregator-<id>; its id is not its name). Set it to limit config:SelectAggregateResourceConfig to that aggregator; null: every aggregator of this account in config_aggregator_region."
  type        = string
  default     = null

  validation {
    condition     = var.config_aggregator_arn == null || can(regex("^arn:aws[a-z-]*:config:[a-z0-9-]+:[0-9]{12}:config-aggregator/config-aggregator-[a-z0-9]+$", var.config_aggregator_arn))
    error_message = "config_aggregator_arn must be an AWS Config aggregator ARN (arn:<partition>:config:<region>:<12-digit account>:config-aggregator/config-aggregator-<id>)."
  }
}

variable "config_report_prefix" {
  description = "Key prefix of the config reports under base_s3_prefix (ORGIAM_CONFIG_REPORT_PREFIX), no leading or trailing slash."
  type        = string
  default     = "config-reports"

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*$", var.config_report_prefix))
    error_message = "config_report_prefix must be a non-empty key prefix without a leading or trailing slash (e.g. \"config-reports\")."
  }
}

# ------------------------------------------------------------ deprecated names

variable "bucket_name" {
  description = "Deprecated: use storage_bucket_name."
  type        = string
  default     = null
}

variable "bucket_region" {
  description = "Deprecated: use storage_bucket_region."
  type        = string
  default     = null
}

variable "list_initial_role_arn" {
  description = "Deprecated: use list_accounts_initial_role_arn."
  type        = string
  default     = null
}

variable "base_prefix" {
  description = "Deprecated: use base_s3_prefix."
  type        = string
  default     = null

  validation {
    condition     = var.base_prefix == null || (!startswith(coalesce(var.base_prefix, "x"), "/") && !endswith(coalesce(var.base_prefix, "x"), "/"))
    error_message = "base_prefix (deprecated: use base_s3_prefix) must not start or end with a slash."
  }
}

variable "extra_environment" {
  description = "Deprecated: use environment_variables."
  type        = map(string)
  default     = null
}

# ---------------------------------------------------------------- policy generation (policygen.tf)

variable "enable_policygen" {
  description = "Deploy the unattended policy generation: a schedule, a state machine and the policygen function, which writes least-privilege policies of policygen_principals from the CloudTrail trail under the latest complete run's policies/ and commits them to policygen_git_url."
  type        = bool
  default     = false
}

variable "policygen_schedule_expression" {
  description = "EventBridge schedule of the policy generation (UTC). Default: Mondays 05:00. Empty: no schedule (start the state machine yourself with {\"principals\": [...]})."
  type        = string
  default     = "cron(0 5 ? * MON *)"
  nullable    = false

  validation {
    condition     = var.policygen_schedule_expression == "" || can(regex(local.rate_regex, var.policygen_schedule_expression)) || (startswith(var.policygen_schedule_expression, "cron(") && endswith(var.policygen_schedule_expression, ")") && length(split(" ", trimsuffix(trimprefix(var.policygen_schedule_expression, "cron("), ")"))) == 6)
    error_message = "policygen_schedule_expression ${jsonencode(var.policygen_schedule_expression)}: must be \"\" (no schedule), cron() with 6 fields or rate(value unit), as EventBridge rules take them."
  }
}

variable "policygen_principals" {
  description = "IAM user and role ARNs whose policies are generated (the Map's items). Each must be in the latest complete run."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for p in var.policygen_principals : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(user|role)/", p))])
    error_message = "policygen_principals: each must be an IAM user or role ARN (arn:aws:iam::111122223333:role/name)."
  }
}

variable "policygen_cloudtrail_url" {
  description = "The trail the policies are generated from: s3://bucket/prefix (AWSLogs/<account>/CloudTrail/… or an organization trail's AWSLogs/<org-id>/…)."
  type        = string
  default     = ""
  nullable    = false
}

variable "policygen_trail_role_arn" {
  description = "Role assumed to read the trail bucket (a log archive account's). Null: the function's own role reads it."
  type        = string
  default     = null
}

variable "policygen_days" {
  description = "Days of trail read, up to the day of the run."
  type        = number
  default     = 90

  validation {
    condition     = var.policygen_days >= 1 && var.policygen_days <= 400 && floor(var.policygen_days) == var.policygen_days
    error_message = "policygen_days must be a whole number of days from 1 to 400."
  }
}

variable "policygen_resources" {
  description = "How far resource ARNs are generalised: exact, service or none (orgiam policy generate --resources)."
  type        = string
  default     = "service"

  validation {
    condition     = contains(["exact", "service", "none"], var.policygen_resources)
    error_message = "policygen_resources must be exact, service or none."
  }
}

variable "policygen_allow_rules" {
  description = "Custom allow rules merged into every generated policy: an IAM policy document or a list of actions (orgiam policy generate --allow). Null: none."
  type        = any
  default     = null
}

variable "policygen_deny_rules" {
  description = "Custom deny rules, appended as Deny statements and removing what they cover (orgiam policy generate --deny). Null: none."
  type        = any
  default     = null
}

variable "policygen_git_url" {
  description = "Git repository the policies are committed to and pushed (https:// with ORGIAM_GIT_TOKEN, or ssh with ORGIAM_GIT_SSH_KEY, in environment_variables). Empty: the store only."
  type        = string
  default     = ""
  nullable    = false
}

variable "policygen_git_branch" {
  description = "Branch the policies are pushed to."
  type        = string
  default     = "main"
}

variable "policygen_git_path" {
  description = "Folder of the repository the policies are written in (\"\" for its root)."
  type        = string
  default     = ""
}

variable "policygen_max_concurrency" {
  description = "Principals generated at once (the Map's MaxConcurrency)."
  type        = number
  default     = 4

  validation {
    condition     = var.policygen_max_concurrency >= 1 && var.policygen_max_concurrency <= 40
    error_message = "policygen_max_concurrency must be 1 to 40."
  }
}

variable "operations_fanout" {
  description = "The operations fan-out state machine (operations_fanout.tf): function_arn is the Lambda function invoked once per account × region with {AccountId, AccountName, Region, RoleArn, Run, Params}; regions the regions of the items (empty: every region enabled in each account, read with ec2:DescribeRegions; an execution input's regions, or [\"all-enabled\"], replace them); max_concurrency the Map's MaxConcurrency; tolerated_failure_percentage its ToleratedFailurePercentage."
  type = object({
    enabled                      = optional(bool, false)
    function_arn                 = optional(string, "")
    regions                      = optional(list(string), [])
    max_concurrency              = optional(number, 40)
    tolerated_failure_percentage = optional(number, 100)
  })
  default  = {}
  nullable = false

  validation {
    condition     = !var.operations_fanout.enabled || can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]+)?$", var.operations_fanout.function_arn))
    error_message = "operations_fanout.function_arn: a Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>) is required when operations_fanout.enabled is true."
  }
  validation {
    condition     = alltrue([for r in var.operations_fanout.regions : can(regex("^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$", r))])
    error_message = "operations_fanout.regions: each must be an AWS region name such as eu-west-1."
  }
  validation {
    condition     = var.operations_fanout.max_concurrency >= 1 && var.operations_fanout.max_concurrency <= 10000 && floor(var.operations_fanout.max_concurrency) == var.operations_fanout.max_concurrency
    error_message = "operations_fanout.max_concurrency: a whole number from 1 to 10000 (the Distributed Map's limit)."
  }
  validation {
    condition     = var.operations_fanout.tolerated_failure_percentage >= 0 && var.operations_fanout.tolerated_failure_percentage <= 100
    error_message = "operations_fanout.tolerated_failure_percentage: from 0 to 100."
  }
}
