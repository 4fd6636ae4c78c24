# The names of earlier releases keep working for one release: each is read
# when its successor is unset, and a plan that sets one warns (a failed check
# block is a warning, never an error).

check "deprecated_bucket_name" {
  assert {
    condition     = var.bucket_name == null
    error_message = "bucket_name is deprecated and will be removed in the next release: rename it storage_bucket_name."
  }
}

check "deprecated_bucket_region" {
  assert {
    condition     = var.bucket_region == null
    error_message = "bucket_region is deprecated and will be removed in the next release: rename it storage_bucket_region."
  }
}

check "deprecated_list_initial_role_arn" {
  assert {
    condition     = var.list_initial_role_arn == null
    error_message = "list_initial_role_arn is deprecated and will be removed in the next release: rename it list_accounts_initial_role_arn (note: null now means this account's collect role, \"\" means none)."
  }
}

check "deprecated_base_prefix" {
  assert {
    condition     = var.base_prefix == null
    error_message = "base_prefix is deprecated and will be removed in the next release: rename it base_s3_prefix."
  }
}

check "deprecated_extra_environment" {
  assert {
    condition     = var.extra_environment == null
    error_message = "extra_environment is deprecated and will be removed in the next release: rename it environment_variables."
  }
}
