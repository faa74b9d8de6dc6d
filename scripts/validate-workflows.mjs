// Validates action.yml against SchemaStore's github-action schema and each workflow file given on the
// command line against its github-workflow schema (ajv 8, draft-07), and checks what the schemas do
// not: every workflow declares `permissions:`, and action.yml's description fits the Marketplace.
//   node scripts/validate-workflows.mjs action.yml .github/workflows/ci.yml …
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import yaml from 'js-yaml';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

const schema = (name) => JSON.parse(readFileSync(new URL(`./schemas/${name}`, import.meta.url), 'utf8'));
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validateAction = ajv.compile(schema('github-action.json'));
const validateWorkflow = ajv.compile(schema('github-workflow.json'));

/** Problems in one file, as lines (empty = valid). */
export function check(path, text) {
  let doc;
  try {
    doc = yaml.load(text);
  } catch (err) {
    return [`not valid YAML: ${err.message.split('\n')[0]}`];
  }
  const isAction = /^action\.ya?ml$/.test(basename(path));
  const validate = isAction ? validateAction : validateWorkflow;
  const problems = validate(doc)
    ? []
    : validate.errors.map((e) => `${e.instancePath || '/'} ${e.message}${e.params?.additionalProperty ? ` ('${e.params.additionalProperty}')` : ''}`);
  if (isAction) {
    // The Marketplace refuses a description of 125 characters or more.
    if (typeof doc?.description === 'string' && doc.description.length >= 125) {
      problems.push(`/description is ${doc.description.length} characters; the Marketplace takes at most 124`);
    }
    if (!doc?.author || /^(php-deploy|org|TODO|your name)$/i.test(String(doc.author))) problems.push('/author must name a real author');
  } else if (doc && typeof doc === 'object') {
    const jobs = Object.entries(doc.jobs ?? {});
    const missing = jobs.filter(([, job]) => job && typeof job === 'object' && !('permissions' in job) && !job.uses);
    if (!('permissions' in doc) && missing.length > 0) {
      problems.push(`no permissions: at the top or in job(s) ${missing.map(([n]) => n).join(', ')} (the token would get the repository default)`);
    }
  }
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let status = 0;
  for (const path of process.argv.slice(2)) {
    const problems = check(path, readFileSync(path, 'utf8'));
    if (problems.length === 0) console.log(`schema ok: ${path}`);
    else {
      status = 1;
      for (const p of problems) console.error(`${path}: ${p}`);
    }
  }
  process.exit(status);
}
