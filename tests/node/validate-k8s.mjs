// Validates rendered Kubernetes objects (multi-document YAML on stdin, e.g. `kubectl kustomize DIR`) against the
// OpenAPI schemas shipped in kubernetes-models. On success prints the objects as one JSON array (stdout) and one
// "valid" line per object (stderr); exits 1 naming the first invalid or unknown object (kind/name and the schema
// error), 2 on unreadable input. Used by the deployment tests (HcpModelFs.Testing/Deployment/KustomizeRender.cs).
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const text = readFileSync(0, "utf8");
const docs = parseAllDocuments(text);
let objects;
try {
  objects = docs.map((d) => {
    if (d.errors.length > 0) throw new Error(d.errors[0].message);
    return d.toJS();
  }).filter((o) => o !== null);
} catch (e) {
  console.error(`unreadable YAML: ${e.message.split("\n")[0]}`);
  process.exit(2);
}
if (objects.length === 0) {
  console.error("no objects in the input");
  process.exit(2);
}

for (const object of objects) {
  const { apiVersion, kind } = object;
  const name = `${kind ?? "?"}/${object.metadata?.name ?? "?"}`;
  if (typeof apiVersion !== "string" || typeof kind !== "string") {
    console.error(`${name}: apiVersion and kind are required`);
    process.exit(1);
  }

  let model;
  try {
    // kubernetes-models lays classes out as <group>/<version>/<Kind>, the core group as v1/<Kind>.
    model = (await import(`kubernetes-models/${apiVersion}/${kind}`))[kind];
  } catch {
    model = undefined;
  }
  if (typeof model !== "function") {
    console.error(`${name}: no schema for ${apiVersion} ${kind}`);
    process.exit(1);
  }

  try {
    new model(object).validate();
  } catch (e) {
    console.error(`${name}: ${e.message}`);
    process.exit(1);
  }
  console.error(`valid ${apiVersion} ${name}`);
}
console.log(JSON.stringify(objects));
