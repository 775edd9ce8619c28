// Reads one YAML document (stdin) and prints it as JSON, for tests that check a YAML file's structure
// (deploy/docker-compose.yml). Exits 2 naming the parse error.
import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";

const doc = parseDocument(readFileSync(0, "utf8"));
if (doc.errors.length > 0) {
  console.error(`unreadable YAML: ${doc.errors[0].message.split("\n")[0]}`);
  process.exit(2);
}
console.log(JSON.stringify(doc.toJS()));
