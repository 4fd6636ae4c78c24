# Schedule expressions are checked here, at plan time, against the grammar
# EventBridge documents for rules (Amazon EventBridge User Guide, "Schedule
# expressions for rules"), so that a bad one fails with the variable's name
# instead of at apply time or, worse, as a rule that never fires. Terraform
# has no functions of its own, so the grammar is a table of regexes here.
# A validation block may not read a local that reads its own variable, so
# each variable repeats the same five validations over these constants (one
# reason each): see schedule_expression and config_report_schedule_expression.

locals {
  # cron(minutes hours day-of-month month day-of-week year): the values each
  # field accepts, then the element grammar shared by every field (a value,
  # a range, * and an increment, in a comma-separated list).
  cron_field_names = ["minutes", "hours", "day-of-month", "month", "day-of-week", "year"]
  cron_values = [
    "[0-5]?[0-9]",
    "([01]?[0-9]|2[0-3])",
    "(0?[1-9]|[12][0-9]|3[01])",
    "(0?[1-9]|1[0-2]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)",
    "([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)",
    "(19[7-9][0-9]|2[01][0-9][0-9])",
  ]
  cron_lists = [for v in local.cron_values : format("(\\*|%s(-%s)?)(/[0-9]+)?(,(\\*|%s(-%s)?)(/[0-9]+)?)*", v, v, v, v)]
  cron_field_regexes = [
    "^${local.cron_lists[0]}$",
    "^${local.cron_lists[1]}$",
    # ? (no value), L (last day), LW (last weekday), nW (weekday nearest n).
    "^(\\?|L|LW|${local.cron_values[2]}W|${local.cron_lists[2]})$",
    "^${local.cron_lists[3]}$",
    # ? (no value), L (Saturday), nL (last such day), n#k (k-th such day).
    "^(\\?|L|${local.cron_values[4]}L|${local.cron_values[4]}#[1-5]|${local.cron_lists[4]})$",
    "^${local.cron_lists[5]}$",
  ]
  rate_regex = "^rate\\((1 (minute|hour|day)|([2-9]|[1-9][0-9]+) (minutes|hours|days))\\)$"
}
