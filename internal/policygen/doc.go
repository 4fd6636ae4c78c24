// Package policygen generates least-privilege IAM policies from CloudTrail
// activity: it streams trail files (a local folder or S3) in parallel,
// attributes each record to the IAM user or role that made the call, maps
// eventSource + eventName to IAM actions through the embedded catalogue
// (internal/iamdata) and a table of known mismatches (mapping.go), scopes
// statements to the resources the events name, merges the result with
// allow/deny rules, splits it at the managed-policy size limit and commits
// it to git. What CloudTrail cannot show (iam:PassRole, data events the
// trail does not record, unmapped events, denied attempts) is reported, not
// guessed.
package policygen
