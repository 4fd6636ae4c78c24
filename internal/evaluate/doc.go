// Package evaluate is AWS's IAM policy evaluation logic, pure: no I/O, no
// clock, no network. A request (principal, action, resource, context) and the
// policies that apply to it (identity policies, permissions boundary, session
// policy, resource policy, SCPs and RCPs per level from the root down) go in;
// a decision comes out — Allowed, ImplicitlyDenied, ExplicitlyDenied, or
// Conditional when it depends on context keys declared unknown — with the
// statements that decided it, policy by policy and level by level.
//
// The logic follows AWS's documentation of policy evaluation
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
// and the pages it links: cross-account evaluation, condition operators,
// policy variables, permissions boundaries, session policies, SCPs and RCPs).
// Where the text of a rule is not obvious, the comment beside the code quotes
// or names the page it comes from. The test suite compares the package with
// an independent implementation (@cloud-copilot/iam-simulate, run as a
// separate process) on random requests; the cases where the two differ on
// purpose are listed in oracle_test.go with the documentation that decides.
//
// Unknown context keys are three-valued: a condition on a key that the caller
// declares unknown (Request.Unknown) is neither true nor false, and a decision
// that hangs on it is Conditional, listing the keys. Keys that are simply
// absent from the context are absent, as in AWS.
package evaluate
