# Least privilege per function: each step reads and writes only the keys of a
# run it owns (see internal/store/layout.go) and assumes only the roles it uses.

locals {
  # Roles the scanning steps assume first: the intermediate role when set
  # (the collect role is then assumed from it), else the collect role of
  # every account.
  scan_assume_arns = local.scan_initial_role != "" ? [local.scan_initial_role] : [local.collect_role_arn_pattern]
  # Roles discover assumes first: the intermediate listing role when set,
  # else the list-accounts role of every organization.
  list_assume_arns = local.list_initial_role != "" ? [local.list_initial_role] : var.list_accounts_role_arns

  # Listing the run's keys, restricted to the base prefix.
  list_run_statement = {
    Sid       = "ListRunKeys"
    Effect    = "Allow"
    Action    = ["s3:ListBucket"]
    Resource  = local.bucket_arn
    Condition = { StringLike = { "s3:prefix" = ["${local.key_prefix}*"] } }
  }
  read_runs_statement = {
    Sid      = "ReadRuns"
    Effect   = "Allow"
    Action   = ["s3:GetObject"]
    Resource = "${local.objects_arn}*"
  }

  lambda_statements = {
    plan = [
      local.list_run_statement,
      local.read_runs_statement,
      {
        Sid      = "WriteRunInfo"
        Effect   = "Allow"
        Action   = ["s3:PutObject"]
        Resource = "${local.objects_arn}*/run.json"
      },
      {
        # A run planned again with overwrite loses its completion mark first.
        Sid      = "ReopenRun"
        Effect   = "Allow"
        Action   = ["s3:DeleteObject"]
        Resource = "${local.objects_arn}*/manifest.json"
      },
    ]
    discover = [
      local.list_run_statement,
      local.read_runs_statement,
      {
        Sid      = "AssumeListAccountsRoles"
        Effect   = "Allow"
        Action   = ["sts:AssumeRole"]
        Resource = local.list_assume_arns
      },
      {
        Sid    = "WriteAccountList"
        Effect = "Allow"
        Action = ["s3:PutObject"]
        Resource = [
          "${local.objects_arn}*/accounts.json",
          "${local.objects_arn}*/skipped.json",
          "${local.objects_arn}*/run-errors.json",
          "${local.objects_arn}*/organizations/*",
        ]
      },
    ]
    "scan-account" = [
      local.list_run_statement,
      local.read_runs_statement,
      {
        Sid      = "AssumeCollectRole"
        Effect   = "Allow"
        Action   = ["sts:AssumeRole"]
        Resource = local.scan_assume_arns
      },
      {
        Sid    = "WriteAccountData"
        Effect = "Allow"
        Action = ["s3:PutObject"]
        Resource = [
          "${local.objects_arn}*/accounts/*",
          "${local.objects_arn}*/aws-managed-policies/*",
        ]
      },
      {
        # A rescanned account that now succeeds drops its old error.json.
        Sid      = "ClearAccountError"
        Effect   = "Allow"
        Action   = ["s3:DeleteObject"]
        Resource = "${local.objects_arn}*/accounts/*/error.json"
      },
    ]
    # Reads the accounts' plans and region files, writes the item list.
    "region-items" = [
      local.list_run_statement,
      local.read_runs_statement,
      {
        Sid      = "WriteRegionItems"
        Effect   = "Allow"
        Action   = ["s3:PutObject"]
        Resource = "${local.objects_arn}*/region-items.json"
      },
    ]
    # One account × region item: the regional collectors, one region file.
    "scan-region" = [
      local.read_runs_statement,
      {
        Sid      = "AssumeCollectRole"
        Effect   = "Allow"
        Action   = ["sts:AssumeRole"]
        Resource = local.scan_assume_arns
      },
      {
        Sid      = "WriteRegionData"
        Effect   = "Allow"
        Action   = ["s3:PutObject"]
        Resource = "${local.objects_arn}*/accounts/*/regions/*"
      },
    ]
    "credential-report" = [
      local.list_run_statement,
      local.read_runs_statement,
      {
        Sid      = "AssumeCollectRole"
        Effect   = "Allow"
        Action   = ["sts:AssumeRole"]
        Resource = local.scan_assume_arns
      },
      {
        Sid      = "WriteCredentialReport"
        Effect   = "Allow"
        Action   = ["s3:PutObject"]
        Resource = "${local.objects_arn}*/accounts/*"
      },
    ]
    index = [
      local.list_run_statement,
      local.read_runs_statement,
      {
        Sid      = "WriteIndex"
        Effect   = "Allow"
        Action   = ["s3:PutObject"]
        Resource = "${local.objects_arn}*/index.sqlite"
      },
    ]
    report = [
      local.list_run_statement,
      local.read_runs_statement,
      {
        Sid      = "WriteReports"
        Effect   = "Allow"
        Action   = ["s3:PutObject"]
        Resource = "${local.objects_arn}*/reports/*"
      },
    ]
    # Reads the run and the previous complete runs (ListRunKeys, ReadRuns),
    # writes reports/diff.json only.
    diff = [
      local.list_run_statement,
      local.read_runs_statement,
      {
        Sid      = "WriteDiff"
        Effect   = "Allow"
        Action   = ["s3:PutObject"]
        Resource = "${local.objects_arn}*/reports/diff.json"
      },
    ]
    finalize = [
      local.list_run_statement,
      local.read_runs_statement,
      {
        Sid      = "WriteManifest"
        Effect   = "Allow"
        Action   = ["s3:PutObject"]
        Resource = "${local.objects_arn}*/manifest.json"
      },
    ]
    "notify-summary" = [
      local.list_run_statement,
      local.read_runs_statement,
      {
        Sid      = "PublishSummary"
        Effect   = "Allow"
        Action   = ["sns:Publish"]
        Resource = local.topic_arn
      },
    ]
  }
}
