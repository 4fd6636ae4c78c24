# SSE-KMS for the store, and what a bucket (or key) in another account must
# grant. Every principal that reads or writes objects gets, by IAM policy,
# kms:GenerateDataKey and kms:Decrypt on the key, limited to calls S3 makes on
# its behalf; the key created here lets the account's IAM policies decide
# (the default key policy), so nothing more is needed in this account.

resource "aws_kms_key" "store" {
  count                   = var.create_kms_key ? 1 : 0
  description             = "orgiam snapshots in s3://${local.bucket_name}"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_key_deletion_window_days
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AccountIAMPolicies"
      Effect    = "Allow"
      Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
      Action    = "kms:*"
      Resource  = "*"
    }]
  })
  tags = var.tags

  lifecycle {
    precondition {
      condition     = var.kms_key_arn == null
      error_message = "Set either create_kms_key or kms_key_arn, not both."
    }
  }
}

resource "aws_kms_alias" "store" {
  count         = var.create_kms_key ? 1 : 0
  name          = "alias/${var.function_name_prefix}-store"
  target_key_id = aws_kms_key.store[0].key_id
}

locals {
  # Granted to every role that reads or writes the store.
  kms_statements = local.use_kms ? [{
    Sid       = "StoreKey"
    Effect    = "Allow"
    Action    = ["kms:GenerateDataKey", "kms:Decrypt"]
    Resource  = local.kms_key_arn
    Condition = { StringEquals = { "kms:ViaService" = "s3.${local.bucket_region == "" ? local.region : local.bucket_region}.amazonaws.com" } }
  }] : []

  # Statements of the bucket policy this module applies to a bucket it
  # creates, and that a bucket owner in another account keeps too.
  bucket_guard_statements = [{
    Sid       = "DenyInsecureTransport"
    Effect    = "Deny"
    Principal = "*"
    Action    = "s3:*"
    Resource  = [local.bucket_arn, "${local.bucket_arn}/*"]
    Condition = { Bool = { "aws:SecureTransport" = "false" } }
  }]

  # Every S3 statement of every role of this module, as bucket policy
  # statements naming that role: what an owner in another account grants.
  store_roles = merge(
    { for k, r in aws_iam_role.lambda : k => { arn = r.arn, statements = local.lambda_statements[k] } },
    { "state-machine" = { arn = aws_iam_role.state_machine.arn, statements = local.state_machine_s3_statements } },
    var.enable_config_report ? { "config-report" = { arn = aws_iam_role.config_report[0].arn, statements = local.config_report_s3_statements } } : {},
    { for k, r in aws_iam_role.operations : k => { arn = r.arn, statements = local.operations_statements[k] } },
    var.operations_fanout.enabled ? { "operations-state-machine" = { arn = aws_iam_role.operations_state_machine[0].arn, statements = local.operations_state_machine_s3_statements } } : {},
  )
  cross_account_bucket_statements = flatten([
    for k, role in local.store_roles : [
      for s in role.statements : merge(s, {
        Sid       = "${replace(title(replace(k, "-", " ")), " ", "")}${s.Sid}"
        Principal = { AWS = role.arn }
      }) if alltrue([for a in s.Action : startswith(a, "s3:")])
    ]
  ])
}
