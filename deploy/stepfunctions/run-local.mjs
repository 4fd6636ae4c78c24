#!/usr/bin/env node
// Runs an orgiam state machine definition locally with aws-local-stepfunctions
// (needs Node >= 22: use deploy/node_modules/.bin/node after `npm ci --prefix deploy`).
//
//   deploy/node_modules/.bin/node deploy/stepfunctions/run-local.mjs DEFINITION INPUT_JSON
//
// DEFINITION is a definition file (normally orgiam-inline.asl.json: no local
// interpreter runs a Distributed Map). Its ${…} template variables are
// substituted from ORGIAM_ASL_VARS (a JSON file) over defaults: function
// ARNs arn:aws:lambda:<region>:000000000000:function:orgiam-<handler>, topic
// arn:aws:sns:<region>:000000000000:orgiam, max_concurrency 4,
// tolerated_failure_percentage 0, credential_report_max_attempts 50.
// INPUT_JSON is the execution input as a JSON string ('{}' if omitted).
//
// Environment:
//   AWS_ENDPOINT_URL_LAMBDA  Lambda Invoke API that the lambda:invoke tasks call
//                            (FunctionName and Payload as the optimized
//                            integration passes them); required.
//   ORGIAM_SNS_RECORD        file to which every sns:publish task appends its
//                            parameters as one JSON line (TopicArn, Subject,
//                            Message); no SNS call is made. Default: none.
//   ORGIAM_LOCAL_S3_DIR      directory holding the objects read by the
//                            aws-sdk:s3:getObject task, as <dir>/<bucket>/<key>;
//                            when unset, the object is read with an unsigned
//                            path-style GET from AWS_ENDPOINT_URL_S3 (moto).
//   AWS_ENDPOINT_URL_S3      S3 endpoint of the getObject task (above) and of the
//                            s3:putObject task that stands for a ResultWriter
//                            (see writeMapResults).
//   ORGIAM_WAIT_MS           overrides every Wait state (milliseconds, default 0).
//   ORGIAM_RETRY_MS          overrides every Retry interval (milliseconds, default 0).
//   AWS_REGION               default us-east-1.
//
// Prints the execution output as JSON on stdout; exits 1 when the execution
// fails (the error on stderr) and 2 on a usage error.

import { readFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import { LambdaClient, InvokeCommand } from '@aws-sdk/client-lambda';

const HANDLERS = ['plan', 'discover', 'scan-account', 'credential-report', 'region-items', 'scan-region', 'index', 'report', 'diff', 'finalize', 'notify-summary'];

function usage(msg) {
  process.stderr.write(`run-local: ${msg}\nusage: run-local.mjs DEFINITION [INPUT_JSON]\n`);
  process.exit(2);
}

const [definitionPath, inputText = '{}'] = process.argv.slice(2);
if (!definitionPath) usage('no definition file');
if (!process.env.AWS_ENDPOINT_URL_LAMBDA) usage('AWS_ENDPOINT_URL_LAMBDA is not set');

const region = process.env.AWS_REGION || 'us-east-1';
process.env.AWS_REGION = region;
// The local endpoints do not check signatures, but the SDK needs credentials.
process.env.AWS_ACCESS_KEY_ID ||= 'local';
process.env.AWS_SECRET_ACCESS_KEY ||= 'local';

function templateVars() {
  const vars = {
    sns_topic_arn: `arn:aws:sns:${region}:000000000000:orgiam`,
    max_concurrency: '4',
    tolerated_failure_percentage: '0',
    credential_report_max_attempts: '50',
  };
  for (const h of HANDLERS) {
    vars[`${h.replaceAll('-', '_')}_function_arn`] = `arn:aws:lambda:${region}:000000000000:function:orgiam-${h}`;
  }
  if (process.env.ORGIAM_ASL_VARS) {
    Object.assign(vars, JSON.parse(readFileSync(process.env.ORGIAM_ASL_VARS, 'utf8')));
  }
  return vars;
}

function loadDefinition(path) {
  const vars = templateVars();
  const missing = new Set();
  const text = readFileSync(path, 'utf8').replace(/\$\{([a-z0-9_]+)\}/g, (m, name) => {
    if (!(name in vars)) missing.add(name);
    return String(vars[name] ?? m);
  });
  if (missing.size) usage(`${path}: no value for template variables ${[...missing].join(', ')} (set them in ORGIAM_ASL_VARS)`);
  return JSON.parse(text);
}

// Every state, with the Map iterators' states, as [name, state] pairs.
function* allStates(def) {
  for (const [name, st] of Object.entries(def.States)) {
    yield [name, st];
    const inner = st.ItemProcessor ?? st.Iterator;
    if (inner) yield* allStates(inner);
    for (const branch of st.Branches ?? []) yield* allStates(branch);
  }
}

class TaskError extends Error {
  constructor(name, cause) {
    super(cause);
    this.name = name;
  }
}

const lambda = new LambdaClient({ region });

// lambda:invoke as the optimized integration does it: the function's output
// in Payload; a function error fails the task with its errorType.
async function invokeLambda(params) {
  let out;
  try {
    out = await lambda.send(new InvokeCommand({
      FunctionName: params.FunctionName,
      Payload: new TextEncoder().encode(JSON.stringify(params.Payload ?? {})),
    }));
  } catch (err) {
    throw new TaskError(`Lambda.${err.name || 'SdkClientException'}`, String(err.message || err));
  }
  const text = out.Payload ? new TextDecoder().decode(out.Payload) : 'null';
  if (out.FunctionError) {
    let errorType = 'Lambda.Unknown';
    try {
      errorType = JSON.parse(text).errorType || errorType;
    } catch {}
    throw new TaskError(errorType, text);
  }
  return { ExecutedVersion: '$LATEST', StatusCode: out.StatusCode ?? 200, Payload: JSON.parse(text) };
}

async function publishSNS(params) {
  if (process.env.ORGIAM_SNS_RECORD) {
    appendFileSync(process.env.ORGIAM_SNS_RECORD, JSON.stringify({
      TopicArn: params.TopicArn, Subject: params.Subject, Message: params.Message,
    }) + '\n');
  }
  return { MessageId: `local-${Date.now()}-${Math.random().toString(16).slice(2)}` };
}

async function getObject(params) {
  let body;
  if (process.env.ORGIAM_LOCAL_S3_DIR) {
    const file = join(process.env.ORGIAM_LOCAL_S3_DIR, params.Bucket, params.Key);
    try {
      body = readFileSync(file, 'utf8');
    } catch (err) {
      throw new TaskError('S3.NoSuchKeyException', `s3://${params.Bucket}/${params.Key}: ${err.message}`);
    }
  } else {
    const base = process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL;
    if (!base) throw new TaskError('S3.SdkClientException', 'neither ORGIAM_LOCAL_S3_DIR nor AWS_ENDPOINT_URL_S3 is set');
    const url = `${base.replace(/\/$/, '')}/${encodeURIComponent(params.Bucket)}/${params.Key.split('/').map(encodeURIComponent).join('/')}`;
    const res = await fetch(url);
    if (!res.ok) throw new TaskError(res.status === 404 ? 'S3.NoSuchKeyException' : 'S3.S3Exception', `GET ${url}: HTTP ${res.status}`);
    body = await res.text();
  }
  return { Body: body, ContentLength: Buffer.byteLength(body) };
}

// s3:putObject as a Map's ResultWriter: a test's inline variant ends a Map
// with a Task of this resource and Parameters {Bucket, Prefix, Results}
// (the inline Map's output). It writes what ResultWriter writes for
// succeeded child executions, <Prefix>/local/SUCCEEDED_0.json and
// <Prefix>/local/manifest.json, with unsigned path-style PUTs to
// AWS_ENDPOINT_URL_S3, and returns {ResultWriterDetails: {Bucket, Key}}.
async function writeMapResults(params) {
  const base = process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL;
  if (!base) throw new TaskError('S3.SdkClientException', 'AWS_ENDPOINT_URL_S3 is not set');
  const put = async (key, body) => {
    const url = `${base.replace(/\/$/, '')}/${encodeURIComponent(params.Bucket)}/${key.split('/').map(encodeURIComponent).join('/')}`;
    const res = await fetch(url, { method: 'PUT', body });
    if (!res.ok) throw new TaskError('S3.S3Exception', `PUT ${url}: HTTP ${res.status}`);
    return Buffer.byteLength(body);
  };
  const now = new Date().toISOString();
  const entries = (params.Results ?? []).map((out, i) => ({
    ExecutionArn: `arn:aws:states:local:000000000000:execution:local/${i}`, Name: String(i), Status: 'SUCCEEDED',
    Input: JSON.stringify(out && out.item !== undefined ? { item: out.item } : {}), Output: JSON.stringify(out),
    StartDate: now, StopDate: now,
  }));
  const dir = `${params.Prefix.replace(/\/$/, '')}/local`;
  const size = await put(`${dir}/SUCCEEDED_0.json`, JSON.stringify(entries));
  const manifest = { DestinationBucket: params.Bucket, MapRunArn: 'arn:aws:states:local:000000000000:mapRun:local',
    ResultFiles: { FAILED: [], PENDING: [], SUCCEEDED: [{ Key: `${dir}/SUCCEEDED_0.json`, Size: size }] } };
  await put(`${dir}/manifest.json`, JSON.stringify(manifest));
  return { MapRunArn: manifest.MapRunArn, ResultWriterDetails: { Bucket: params.Bucket, Key: `${dir}/manifest.json` } };
}

const RESOURCES = {
  'arn:aws:states:::s3:putObject': writeMapResults,
  'arn:aws:states:::lambda:invoke': invokeLambda,
  'arn:aws:states:::sns:publish': publishSNS,
  'arn:aws:states:::aws-sdk:s3:getObject': getObject,
};

const definition = loadDefinition(definitionPath);
const taskResourceLocalHandlers = {};
const waitTimeOverrides = {};
const retryIntervalOverrides = {};
const waitMs = Number(process.env.ORGIAM_WAIT_MS ?? 0);
const retryMs = Number(process.env.ORGIAM_RETRY_MS ?? 0);
for (const [name, st] of allStates(definition)) {
  if (st.ItemReader) {
    usage(`state ${name}: a Map with an ItemReader (Distributed Map) does not run locally; use orgiam-inline.asl.json`);
  }
  if (st.Type === 'Wait') waitTimeOverrides[name] = waitMs;
  if (st.Retry) retryIntervalOverrides[name] = retryMs;
  if (st.Type !== 'Task') continue;
  const fn = RESOURCES[st.Resource];
  if (!fn) usage(`state ${name}: resource ${st.Resource} has no local handler`);
  if (taskResourceLocalHandlers[name] && taskResourceLocalHandlers[name] !== fn) {
    usage(`state name ${name} is used by two tasks of different resources: overrides are keyed by state name`);
  }
  taskResourceLocalHandlers[name] = fn;
}

let input;
try {
  input = JSON.parse(inputText);
} catch (err) {
  usage(`input is not JSON: ${err.message}`);
}

const machine = new StateMachine(definition, { validationOptions: { checkArn: true, checkPaths: true } });
const execution = machine.run(input, {
  overrides: { taskResourceLocalHandlers, waitTimeOverrides, retryIntervalOverrides },
});
try {
  const result = await execution.result;
  process.stdout.write(JSON.stringify(result) + '\n');
} catch (err) {
  const cause = err.cause ?? err;
  process.stderr.write(`run-local: execution failed: ${cause.name}: ${cause.message}\n`);
  process.exit(1);
}
