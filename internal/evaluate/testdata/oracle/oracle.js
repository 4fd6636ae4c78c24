// Test-only bridge to @cloud-copilot/iam-simulate (AGPL-3.0-or-later), run by
// internal/evaluate's oracle test as a separate process: one JSON simulation
// per input line, one JSON result per output line, in order.
//
// The simulator silently ignores fields it does not know, so a misspelt field
// would quietly test nothing: every field name is checked against the
// simulator's documented Simulation shape first, and an unknown one is an
// error for that case.
'use strict';
const readline = require('readline');
const { runSimulation } = require('@cloud-copilot/iam-simulate');

const known = {
  '': ['request', 'identityPolicies', 'serviceControlPolicies', 'resourceControlPolicies',
    'resourcePolicy', 'permissionBoundaryPolicies', 'sessionPolicy'],
  'request': ['principal', 'action', 'resource', 'contextVariables'],
  'request.resource': ['resource', 'accountId'],
  'orgPolicies': ['orgIdentifier', 'policies'],
  'namedPolicy': ['name', 'policy'],
};

function check(obj, where, path) {
  for (const k of Object.keys(obj)) {
    if (!known[where].includes(k)) throw new Error(`unknown field ${path}${k}`);
  }
}

function validate(sim) {
  check(sim, '', '');
  check(sim.request, 'request', 'request.');
  check(sim.request.resource, 'request.resource', 'request.resource.');
  for (const f of ['serviceControlPolicies', 'resourceControlPolicies']) {
    (sim[f] || []).forEach((lvl, i) => {
      check(lvl, 'orgPolicies', `${f}[${i}].`);
      lvl.policies.forEach((p, j) => check(p, 'namedPolicy', `${f}[${i}].policies[${j}].`));
    });
  }
  for (const f of ['identityPolicies', 'permissionBoundaryPolicies']) {
    (sim[f] || []).forEach((p, j) => check(p, 'namedPolicy', `${f}[${j}].`));
  }
}

async function main() {
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line.trim()) continue;
    let out;
    try {
      const sim = JSON.parse(line);
      validate(sim);
      const r = await runSimulation(sim, {});
      if (r.resultType === 'error') {
        out = { error: JSON.stringify(r.errors) };
      } else {
        out = { decision: r.overallResult };
        if (process.env.ORACLE_FULL) out.full = r;
      }
    } catch (e) {
      out = { error: String(e && e.message || e) };
    }
    process.stdout.write(JSON.stringify(out) + '\n');
  }
}
main();
