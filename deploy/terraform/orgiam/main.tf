data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id

  handlers = toset([
    "plan",
    "discover",
    "scan-account",
    "credential-report",
    "index",
    "report",
    "finalize",
    "notify-summary",
  ])

  bucket     = var.create_bucket ? aws_s3_bucket.store[0].id : var.bucket_name
  bucket_arn = "arn:${local.partition}:s3:::${local.bucket}"
  # Key prefix of every run ("" or "base/"), and the ARN pattern of its objects.
  key_prefix  = var.base_prefix == "" ? "" : "${var.base_prefix}/"
  objects_arn = "${local.bucket_arn}/${local.key_prefix}"

  store_url = "s3://${local.bucket}${var.base_prefix == "" ? "" : "/${var.base_prefix}"}${var.bucket_region == "" ? "" : "?region=${var.bucket_region}"}"

  topic_arn = var.create_sns_topic ? aws_sns_topic.notifications[0].arn : var.sns_topic_arn

  collect_role_arn_pattern = "arn:${local.partition}:iam::*:role${var.collect_role_path}${var.collect_role_name}"

  state_machine_arn = "arn:${local.partition}:states:${local.region}:${local.account_id}:stateMachine:${var.state_machine_name}"

  common_environment = {
    ORGIAM_STORE                       = local.store_url
    ORGIAM_ORG_ROLES                   = join(",", var.list_accounts_role_arns)
    ORGIAM_COLLECT_ROLE                = var.collect_role_name
    ORGIAM_COLLECT_ROLE_PATH           = var.collect_role_path
    ORGIAM_INITIAL_ROLE                = var.scan_initial_role_arn
    ORGIAM_LIST_INITIAL_ROLE           = var.list_initial_role_arn
    ORGIAM_EXTERNAL_ID                 = var.external_id
    ORGIAM_NOTIFY                      = "sns:${local.topic_arn}"
    ORGIAM_LOG_FORMAT                  = "json"
    ORGIAM_CREDENTIAL_REPORT_MAX_POLLS = tostring(var.credential_report_max_polls)
  }
}

# ---------------------------------------------------------------- store bucket

resource "aws_s3_bucket" "store" {
  count  = var.create_bucket ? 1 : 0
  bucket = var.bucket_name
  tags   = var.tags
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
      sse_algorithm = "AES256"
    }
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
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [local.bucket_arn, "${local.bucket_arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
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
