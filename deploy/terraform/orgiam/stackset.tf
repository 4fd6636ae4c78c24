# The collect role in every account: a service-managed StackSet of
# templates/collect-role.yaml (a copy of deploy/cloudformation/collect-role.yaml
# kept identical by a test) targeting OUs with automatic deployment, plus a
# plain stack in the provider's account, which StackSets never deploy to when
# it is the management account. Off unless create_collect_role_stackset.

locals {
  # Who assumes the collect role of an account: the intermediate role when
  # one is used, else the scanning functions. When the intermediate role is
  # this account's own collect role, the functions assume it first (discover
  # too when it is also the listing hop) and it assumes itself to scan this
  # account: the template then trusts this account and matches the roles by
  # aws:PrincipalArn, since a role cannot name itself as a principal before
  # it exists.
  own_collect_role_is_hop = local.scan_initial_role == local.own_collect_role_arn || local.list_initial_role == local.own_collect_role_arn
  collect_role_trusted_principal_arns = distinct(concat(
    local.scan_initial_role != "" ? [local.scan_initial_role] : [],
    local.scan_initial_role == "" || local.scan_initial_role == local.own_collect_role_arn ? [aws_iam_role.lambda["scan-account"].arn, aws_iam_role.lambda["credential-report"].arn, aws_iam_role.lambda["scan-region"].arn] : [],
    local.list_initial_role == local.own_collect_role_arn ? [aws_iam_role.lambda["discover"].arn] : [],
  ))
  collect_role_scanning_account_id = local.own_collect_role_is_hop && alltrue([for a in local.collect_role_trusted_principal_arns : split(":", a)[4] == local.account_id]) ? local.account_id : ""

  # Who assumes the list-accounts role of each organization.
  list_accounts_role_trusted_principal_arns = local.list_initial_role != "" ? [local.list_initial_role] : [aws_iam_role.lambda["discover"].arn]

  collect_role_stack_parameters = {
    RoleName              = var.collect_role_name
    RolePath              = var.collect_role_path
    ScanningPrincipalArns = join(",", local.collect_role_trusted_principal_arns)
    ScanningAccountId     = local.collect_role_scanning_account_id
    ExternalId            = var.external_id
  }
  collect_role_template = file("${path.module}/templates/collect-role.yaml")
}

resource "aws_cloudformation_stack_set" "collect_role" {
  count            = var.create_collect_role_stackset ? 1 : 0
  name             = var.collect_role_stackset_name
  description      = "orgiam read-only collect role in every member account"
  permission_model = "SERVICE_MANAGED"
  call_as          = var.collect_role_stackset_call_as
  capabilities     = ["CAPABILITY_NAMED_IAM"]
  template_body    = local.collect_role_template
  parameters       = local.collect_role_stack_parameters

  auto_deployment {
    enabled                          = true
    retain_stacks_on_account_removal = false
  }

  managed_execution {
    active = true
  }

  operation_preferences {
    failure_tolerance_percentage = 10
    max_concurrent_percentage    = 25
  }

  tags = var.tags

  lifecycle {
    # A SERVICE_MANAGED StackSet has no administration role; AWS reports one
    # back, which would otherwise show as a change on every plan.
    ignore_changes = [administration_role_arn]

    precondition {
      condition     = length(var.collect_role_stackset_ou_ids) > 0
      error_message = "collect_role_stackset_ou_ids needs at least one OU or root id when create_collect_role_stackset is true."
    }
  }
}

resource "aws_cloudformation_stack_set_instance" "collect_role" {
  count          = var.create_collect_role_stackset ? 1 : 0
  stack_set_name = aws_cloudformation_stack_set.collect_role[0].name
  call_as        = var.collect_role_stackset_call_as
  region         = var.collect_role_stackset_region == null ? local.region : var.collect_role_stackset_region

  deployment_targets {
    organizational_unit_ids = var.collect_role_stackset_ou_ids
  }

  operation_preferences {
    failure_tolerance_percentage = 10
    max_concurrent_percentage    = 25
  }
}

resource "aws_cloudformation_stack" "collect_role_management" {
  count         = var.create_collect_role_stackset && var.create_collect_role_management_stack ? 1 : 0
  name          = var.collect_role_stackset_name
  capabilities  = ["CAPABILITY_NAMED_IAM"]
  template_body = local.collect_role_template
  parameters    = local.collect_role_stack_parameters
  tags          = var.tags
}
