// The real @huggingface/hub client (pinned in package-lock.json) against `hcpmodelfs serve` (hubUrl = our endpoint):
// modelInfo, listFiles (paginated), pathsInfo, downloadFile whole and sliced, snapshotDownload into a cache dir.
// Input: ENDPOINT_EXPECTATIONS = path of a JSON file written by HubEndpointNodeTests (C#).
// Output: one JSON line {checks, failures} on stdout (last line); exit code 1 on any mismatch, 2 on a crash.
import { createHash } from "node:crypto";
import { readFile, readlink } from "node:fs/promises";
import { join } from "node:path";
import { downloadFile, listFiles, modelInfo, pathsInfo, snapshotDownload } from "@huggingface/hub";

const expectations = JSON.parse(await readFile(process.env.ENDPOINT_EXPECTATIONS, "utf8"));
const checks = [];
const failures = [];
const hubUrl = expectations.hubUrl;

function check(name, ok, detail) {
  checks.push(name);
  if (!ok) failures.push({ name, detail });
}

const sha256 = (buf) => createHash("sha256").update(buf).digest("hex");

// The client logs progress with console.debug; keep stdout for the result line.
console.debug = () => {};

try {
  for (const r of expectations.repos) {
    const info = await modelInfo({ name: r.repo, hubUrl, additionalFields: ["sha", "author"] });
    check(`${r.repo} modelInfo name`, info.name === r.repo, { got: info.name });
    check(`${r.repo} modelInfo sha`, info.sha === r.sha, { got: info.sha, want: r.sha });
    check(`${r.repo} modelInfo updatedAt`, info.updatedAt instanceof Date && !isNaN(info.updatedAt), { got: String(info.updatedAt) });
    check(`${r.repo} modelInfo private/gated`, info.private === false && info.gated === false, { info });

    const listed = [];
    for await (const f of listFiles({ repo: r.repo, recursive: true, hubUrl })) listed.push(f);
    const files = listed.filter((f) => f.type === "file");
    const dirs = listed.filter((f) => f.type === "directory").map((d) => d.path).sort();
    check(`${r.repo} listFiles count`, files.length === r.files.length, { got: files.length, want: r.files.length });
    check(`${r.repo} listFiles directories`, JSON.stringify(dirs) === JSON.stringify(r.directories), { got: dirs, want: r.directories });
    for (const want of r.files) {
      const got = files.find((f) => f.path === want.path);
      check(`${r.repo} listFiles ${want.path}`, !!got && got.size === want.size && (got.lfs?.oid ?? null) === want.lfsOid &&
        !("xetHash" in got), { got, want });
    }

    const infos = await pathsInfo({ repo: r.repo, paths: [r.files[0].path, "no/such/file"], expand: true, hubUrl });
    check(`${r.repo} pathsInfo`, infos.length === 1 && infos[0].path === r.files[0].path && infos[0].lastCommit?.id === r.sha,
      { infos });

    for (const d of r.downloads) {
      const blob = await downloadFile({ repo: r.repo, path: d.path, revision: d.revision, hubUrl });
      check(`${r.repo} downloadFile ${d.path} found`, blob !== null, null);
      if (blob === null) continue;
      check(`${r.repo} downloadFile ${d.path} size`, blob.size === d.size, { got: blob.size, want: d.size });
      const whole = Buffer.from(await blob.arrayBuffer());
      check(`${r.repo} downloadFile ${d.path} whole`, whole.length === d.size && sha256(whole) === d.sha256,
        { length: whole.length });
      for (const s of d.slices) {
        const part = Buffer.from(await blob.slice(s.start, s.end).arrayBuffer());
        check(`${r.repo} downloadFile ${d.path} slice ${s.start}-${s.end}`,
          part.length === s.end - s.start && sha256(part) === s.sha256, { length: part.length });
      }
    }

    const missing = await downloadFile({ repo: r.repo, path: "no/such/file.bin", hubUrl });
    check(`${r.repo} downloadFile missing path is null`, missing === null, null);

    // snapshotDownload: modelInfo -> sha, listFiles at the sha, pathsInfo + downloadFile per file, HF cache layout.
    const folder = await snapshotDownload({ repo: r.repo, cacheDir: expectations.cacheDir, hubUrl });
    check(`${r.repo} snapshot folder`, folder.endsWith(join(`models--${r.repo.replace("/", "--")}`, "snapshots", r.sha)), { folder });
    const ref = await readFile(join(expectations.cacheDir, `models--${r.repo.replace("/", "--")}`, "refs", "main"), "utf8");
    check(`${r.repo} snapshot refs/main`, ref === r.sha, { ref });
    for (const f of r.files) {
      const bytes = await readFile(join(folder, f.path));
      const link = await readlink(join(folder, f.path));
      check(`${r.repo} snapshot ${f.path}`, bytes.length === f.size && sha256(bytes) === f.sha256 && link.includes("blobs/"),
        { length: bytes.length, link });
    }
  }

  try {
    await modelInfo({ name: "acme/no-such-model", hubUrl });
    check("modelInfo missing repo", false, "no error");
  } catch (e) {
    check("modelInfo missing repo", e?.statusCode === 401, { statusCode: e?.statusCode, message: String(e?.message) });
  }
} catch (e) {
  console.log(JSON.stringify({ checks, failures, crash: String(e?.stack ?? e) }));
  process.exit(2);
}

console.log(JSON.stringify({ checks, failures }));
process.exit(failures.length === 0 ? 0 : 1);
