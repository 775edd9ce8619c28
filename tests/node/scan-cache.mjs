// The real @huggingface/hub client's scanCacheDir (pinned in package-lock.json) over a folder written by
// `hcpmodelfs export --hf-cache-layout` (ExportCommandTests, C#). scanCacheDir lists a snapshot's top-level files only,
// so files in sub-folders are checked through the snapshot symlinks the way huggingface_hub reads them (realpath, size).
// Input: SCAN_EXPECTATIONS = path of a JSON file {cacheDir, repo, commit, refs, files: [{path, size}]}.
// Output: one JSON line {checks, failures} on stdout; exit code 1 on any mismatch, 2 on a crash.
import { readFile, realpath, stat } from "node:fs/promises";
import { join } from "node:path";
import { scanCacheDir } from "@huggingface/hub";

const want = JSON.parse(await readFile(process.env.SCAN_EXPECTATIONS, "utf8"));
const checks = [];
const failures = [];

function check(name, ok, detail) {
  checks.push(name);
  if (!ok) failures.push({ name, detail });
}

try {
  const info = await scanCacheDir(want.cacheDir);
  check("no warnings", info.warnings.length === 0, { warnings: info.warnings.map(String) });
  const repo = info.repos.find((r) => r.id.name === want.repo);
  check("repo listed", repo !== undefined, { repos: info.repos.map((r) => r.id) });
  if (repo) {
    check("repo type", repo.id.type === "model", { got: repo.id.type });
    check("one revision", repo.revisions.length === 1, { got: repo.revisions.map((r) => r.commitOid) });
    const revision = repo.revisions.find((r) => r.commitOid === want.commit);
    check("revision commit", revision !== undefined, { want: want.commit });
    if (revision) {
      check("revision refs", JSON.stringify([...revision.refs].sort()) === JSON.stringify([...want.refs].sort()), { got: revision.refs, want: want.refs });
      const topLevel = want.files.filter((f) => !f.path.includes("/"));
      const listed = revision.files.map((f) => f.path.slice(revision.path.length + 1)).sort();
      check("top-level files", JSON.stringify(listed) === JSON.stringify(topLevel.map((f) => f.path).sort()), { got: listed });
      for (const f of revision.files) {
        const name = f.path.slice(revision.path.length + 1);
        const expected = topLevel.find((t) => t.path === name);
        check(`size ${name}`, expected !== undefined && f.blob.size === expected.size, { got: f.blob.size, want: expected?.size });
        check(`blob in blobs/ ${name}`, f.blob.path.startsWith(join(repo.path, "blobs") + "/"), { got: f.blob.path });
      }
      for (const f of want.files.filter((t) => t.path.includes("/"))) {
        const blob = await realpath(join(revision.path, f.path));
        check(`nested size ${f.path}`, (await stat(blob)).size === f.size, { blob });
        check(`nested blob in blobs/ ${f.path}`, blob.startsWith(join(repo.path, "blobs") + "/"), { blob });
      }
    }
  }
} catch (err) {
  console.log(JSON.stringify({ checks, failures: [...failures, { name: "crash", detail: String(err?.stack ?? err) }] }));
  process.exit(2);
}

console.log(JSON.stringify({ checks, failures }));
process.exit(failures.length === 0 ? 0 : 1);
