// Checks the OpenAPI document and answers a server gave against it.
// Usage: node check.js MODULES_FOLDER DOCUMENT ANSWERS
//        node check.js MODULES_FOLDER DOCUMENT --recorded FOLDER
//   ANSWERS: a JSON array of {method, path (the document's path template), status, type, body}.
//   --recorded: every *.jsonl file of FOLDER, one answer a test received per line
//   ({test, method, url, status, type, body}); answers from URLs whose path is none of the
//   document's (other peers of the tests, the console's files) are not the API and are passed over.
// Fails when the document is not valid OpenAPI 3.1, when an answer's path, method or status is
// not in it or its body does not match the schema, with ANSWERS when an operation of the document
// was never exercised (the document and the server must describe the same routes), and with
// --recorded when no answer of the API was recorded at all.
const fs = require('fs');
const [modules, documentPath, answersPath, recordedFolder] = process.argv.slice(2);
const isRecorded = answersPath === '--recorded';
const SwaggerParser = require(`${modules}/node_modules/@apidevtools/swagger-parser`);
const Ajv2020 = require(`${modules}/node_modules/ajv/dist/2020`).default;
const addFormats = require(`${modules}/node_modules/ajv-formats`);

// The recorded answers whose URL path is one of the document's, each given its path template.
function recordedAnswers(document) {
  const templates = Object.keys(document.paths).map((template) => ({
    template,
    pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
  }));
  const answers = [];
  for (const name of fs.readdirSync(recordedFolder).filter((file) => file.endsWith('.jsonl'))) {
    for (const line of fs.readFileSync(`${recordedFolder}/${name}`, 'utf8').split('\n')) {
      if (!line) continue;
      const answer = JSON.parse(line);
      const path = new URL(answer.url).pathname;
      const match = templates.find(({ pattern }) => pattern.test(path));
      if (match) answers.push({ ...answer, path: match.template });
    }
  }
  return answers;
}

(async () => {
  const text = fs.readFileSync(documentPath, 'utf8');
  await SwaggerParser.validate(JSON.parse(text));
  const document = await SwaggerParser.dereference(JSON.parse(text));
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const answers = isRecorded ? recordedAnswers(document) : JSON.parse(fs.readFileSync(answersPath, 'utf8'));
  const exercised = new Set();
  const failures = [];
  const validators = new Map();
  const compile = (schema) => {
    if (!validators.has(schema)) validators.set(schema, ajv.compile(schema));
    return validators.get(schema);
  };
  for (const answer of answers) {
    const where = `${answer.test ? `${answer.test}: ` : ''}${answer.method} ${answer.path} ${answer.status}`;
    const item = document.paths[answer.path];
    const operation = (item || {})[answer.method.toLowerCase()];
    if (item && !operation && answer.status === 405) {
      // A method the path does not have: the contract's error answer (LIVE.100011011).
      const validate = compile(document.components.schemas.Error);
      const body = JSON.parse(answer.body);
      if (!validate(body) || body.error_code !== 'LIVE.100011011') {
        failures.push(`${where}: not the method-not-allowed error: ${answer.body}`);
      }
      continue;
    }
    if (!operation) { failures.push(`${where}: operation not in the document`); continue; }
    exercised.add(`${answer.method.toLowerCase()} ${answer.path}`);
    const response = operation.responses[String(answer.status)];
    if (!response) { failures.push(`${where}: status not in the document`); continue; }
    const type = (answer.type || '').split(';')[0].trim();
    const media = (response.content || {})[type];
    if (!media) { failures.push(`${where}: content type ${type} not in the document`); continue; }
    let body = answer.body;
    if (type === 'application/json') {
      try { body = JSON.parse(answer.body); } catch (e) { failures.push(`${where}: not JSON`); continue; }
    }
    const validate = compile(media.schema);
    if (!validate(body)) {
      failures.push(`${where}: ${ajv.errorsText(validate.errors)} in ${answer.body.slice(0, 300)}`);
    }
  }
  if (isRecorded && answers.length === 0) failures.push(`no answer of the API in ${recordedFolder}`);
  for (const [path, item] of isRecorded ? [] : Object.entries(document.paths)) {
    for (const method of ['get', 'post', 'put', 'delete', 'patch']) {
      if (item[method] && !exercised.has(`${method} ${path}`)) {
        failures.push(`${method.toUpperCase()} ${path}: in the document, never exercised`);
      }
    }
  }
  for (const failure of failures) console.error(failure);
  console.log(`${answers.length} answers checked, ${failures.length} failures`);
  process.exit(failures.length ? 1 : 0);
})().catch((error) => { console.error(`invalid document: ${error.message}`); process.exit(1); });
