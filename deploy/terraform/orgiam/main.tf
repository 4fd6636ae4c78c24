data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id

  role_arn_regex = "^arn:aws[a-z-]*:iam::[0-9]{12}:role/[!-~]{1,512}$"

  # The pipeline's handlers: one function each, all wired by the state
  # machine. config-report (config_report.tf) is separate and optional.
  handlers = toset([
    "plan",
    "discover",
    "scan-account",
    "credential-report",
    "region-items",
    "scan-region",
    "index",
    "report",
    "diff",
    "finalize",
    "notify-summary",
  ])

  # The deprecated names still work: each is read when its successor is
  # unset (see the checks in deprecated.tf).
  bucket_name           = var.storage_bucket_name != null ? var.storage_bucket_name : var.bucket_name
  bucket_region         = coalesce(var.storage_bucket_region, var.bucket_region, "-") == "-" ? "" : coalesce(var.storage_bucket_region, var.bucket_region)
  base_prefix           = var.base_prefix != null && var.base_s3_prefix == "iam-data" ? var.base_prefix : var.base_s3_prefix
  environment_variables = merge(coalesce(var.extra_environment, {}), var.environment_variables)

  # Null initial roles mean the collect role of this account, as in the
  # reference module; "" means none.
  own_collect_role_arn  = "arn:${local.partition}:iam::${local.account_id}:role${var.collect_role_path}${var.collect_role_name}"
  scan_initial_role     = var.scan_initial_role_arn == null ? local.own_collect_role_arn : var.scan_initial_role_arn
  list_initial_role_arg = var.list_accounts_initial_role_arn != null ? var.list_accounts_initial_role_arn : var.list_initial_role_arn
  list_initial_role     = local.list_initial_role_arg == null ? local.own_collect_role_arn : local.list_initial_role_arg

  bucket_account_id = var.storage_bucket_account_id == null ? local.account_id : var.storage_bucket_account_id
  bucket            = var.create_bucket ? aws_s3_bucket.store[0].id : local.bucket_name
  bucket_arn        = "arn:${local.partition}:s3:::${local.bucket}"
  # Key prefix of every run ("" or "base/"), and the ARN pattern of its objects.
  key_prefix  = local.base_prefix == "" ? "" : "${local.base_prefix}/"
  objects_arn = "${local.bucket_arn}/${local.key_prefix}"

  store_url = "s3://${local.bucket}${local.base_prefix == "" ? "" : "/${local.base_prefix}"}${local.bucket_region == "" ? "" : "?region=${local.bucket_region}"}"

  kms_key_arn = var.create_kms_key ? aws_kms_key.store[0].arn : var.kms_key_arn
  use_kms     = var.create_kms_key || var.kms_key_arn != null

  topic_arn = var.create_sns_topic ? aws_sns_topic.notifications[0].arn : var.sns_topic_arn

  collect_role_arn_pattern = "arn:${local.partition}:iam::*:role${var.collect_role_path}${var.collect_role_name}"

  state_machine_arn = "arn:${local.partition}:states:${local.region}:${local.account_id}:stateMachine:${var.state_machine_name}"

  common_environment = {
    ORGIAM_STORE                       = local.store_url
    ORGIAM_ORG_ROLES                   = join(",", var.list_accounts_role_arns)
    ORGIAM_COLLECT_ROLE                = var.collect_role_name
    ORGIAM_COLLECT_ROLE_PATH           = var.collect_role_path
    ORGIAM_INITIAL_ROLE                = local.scan_initial_role
    ORGIAM_LIST_INITIAL_ROLE           = local.list_initial_role
    ORGIAM_EXTERNAL_ID                 = var.external_id
    ORGIAM_NOTIFY                      = "sns:${local.topic_arn}"
    ORGIAM_LOG_FORMAT                  = "json"
    ORGIAM_CREDENTIAL_REPORT_MAX_POLLS = tostring(var.credential_report_max_polls)
    ORGIAM_CREDENTIAL_REPORT_WAIT      = "${var.credential_report_wait_seconds}s"
  }
}

# ---------------------------------------------------------------- store bucket

resource "aws_s3_bucket" "store" {
  count  = var.create_bucket ? 1 : 0
  bucket = local.bucket_name
  tags   = var.tags

  lifecycle {
    precondition {
      condition     = local.bucket_name != null
      error_message = "storage_bucket_name is required."
    }
    precondition {
      condition     = local.bucket_account_id == local.account_id
      error_message = "storage_bucket_account_id (${local.bucket_account_id}) is not the account of this module (${local.account_id}): set create_bucket = false, create the bucket in that account, and apply the output bucket_policy_json to it there."
    }
  }
}

resource "aws_s3_bucket_public_access_block" "store" {
  count                   = var.create_bucket ? 1 : 0
  bucket                  = aws_s3_bucket.store[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "store" {
  count  = var.create_bucket ? 1 : 0
  bucket = aws_s3_bucket.store[0].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = local.use_kms ? "aws:kms" : "AES256"
      kms_master_key_id = local.use_kms ? local.kms_key_arn : null
    }
    # One data key per bucket instead of one KMS call per object.
    bucket_key_enabled = local.use_kms
  }
}

resource "aws_s3_bucket_ownership_controls" "store" {
  count  = var.create_bucket ? 1 : 0
  bucket = aws_s3_bucket.store[0].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "store" {
  count  = var.create_bucket && var.bucket_versioning ? 1 : 0
  bucket = aws_s3_bucket.store[0].id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_policy" "store_tls_only" {
  count  = var.create_bucket ? 1 : 0
  bucket = aws_s3_bucket.store[0].id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = local.bucket_guard_statements
  })
  depends_on = [aws_s3_bucket_public_access_block.store]
}

# ---------------------------------------------------------------- notifications

resource "aws_sns_topic" "notifications" {
  count             = var.create_sns_topic ? 1 : 0
  name              = "${var.function_name_prefix}-notifications"
  kms_master_key_id = "alias/aws/sns"
  tags              = var.tags
}

resource "aws_sns_topic_subscription" "email" {
  for_each  = toset(var.notification_emails)
  topic_arn = local.topic_arn
  protocol  = "email"
  endpoint  = each.value
}
