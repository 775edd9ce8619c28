// Fidelity check: the real @huggingface/hub client (pinned in package-lock.json) against the fake Hub.
// Input: FIDELITY_EXPECTATIONS = path of a JSON file written by HubFidelityTests (C#).
// Output: one JSON line {checks, failures} on stdout; exit code 1 on any mismatch, 2 on a crash.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { downloadFile, listFiles, modelInfo, pathsInfo } from "@huggingface/hub";

const expectations = JSON.parse(await readFile(process.env.FIDELITY_EXPECTATIONS, "utf8"));
const checks = [];
const failures = [];

function check(name, ok, detail) {
  checks.push(name);
  if (!ok) failures.push({ name, detail });
}

const sha256 = (buf) => createHash("sha256").update(buf).digest("hex");
const common = { hubUrl: expectations.hubUrl, accessToken: expectations.token };

async function expectApiError(name, promise, status) {
  try {
    await promise;
    check(name, false, "no error");
  } catch (e) {
    check(name, e?.statusCode === status, { statusCode: e?.statusCode, message: String(e?.message) });
  }
}

try {
  // modelInfo: /api/models/{id}/revision/HEAD?expand=..., JS maps _id to id and id to name.
  for (const m of expectations.models) {
    const info = await modelInfo({ name: m.repo, ...common, additionalFields: ["sha", "author"] });
    check(`modelInfo ${m.repo} id`, info.id === m.objectId, { got: info.id, want: m.objectId });
    check(`modelInfo ${m.repo} name`, info.name === m.repo, { got: info.name });
    check(`modelInfo ${m.repo} private`, info.private === m.private, { got: info.private });
    check(`modelInfo ${m.repo} gated`, info.gated === m.gated, { got: info.gated, want: m.gated });
    check(`modelInfo ${m.repo} sha`, info.sha === m.sha, { got: info.sha });
    check(`modelInfo ${m.repo} updatedAt`, info.updatedAt instanceof Date && !isNaN(info.updatedAt), {
      got: String(info.updatedAt),
    });
  }

  await expectApiError("modelInfo missing repo", modelInfo({ name: "acme/no-such-model", ...common }), 404);

  // listFiles, recursive, across several pages (the fake pages by a few entries).
  const listed = [];
  for await (const f of listFiles({ repo: expectations.repo, recursive: true, ...common })) listed.push(f);
  const files = listed.filter((f) => f.type === "file");
  const dirs = listed.filter((f) => f.type === "directory").map((d) => d.path).sort();
  check("listFiles file count", files.length === expectations.files.length, {
    got: files.length,
    want: expectations.files.length,
  });
  check("listFiles directories", JSON.stringify(dirs) === JSON.stringify(expectations.directories), { got: dirs });
  for (const want of expectations.files) {
    const got = files.find((f) => f.path === want.path);
    check(`listFiles ${want.path}`, !!got && got.size === want.size && got.oid === want.oid &&
      (got.lfs?.oid ?? null) === want.lfsOid && !("xetHash" in got), { got, want });
  }

  // listFiles of a sub-folder, not recursive: direct children only.
  const nested = [];
  for await (const f of listFiles({ repo: expectations.repo, path: "nested", ...common })) nested.push(f.path);
  check("listFiles nested", JSON.stringify(nested) === JSON.stringify(["nested/deeper"]), { got: nested });

  // pathsInfo: JSON body (olah only parses the form variant; the fake accepts both), unknown paths omitted.
  const infos = await pathsInfo({
    repo: expectations.repo, paths: ["config.json", "nested", "no/such/file"], expand: true, ...common,
  });
  const config = expectations.files.find((f) => f.path === "config.json");
  check("pathsInfo paths", JSON.stringify(infos.map((i) => i.path).sort()) === JSON.stringify(["config.json", "nested"]),
    { got: infos.map((i) => i.path) });
  const info = infos.find((i) => i.path === "config.json");
  check("pathsInfo config.json", info?.oid === config.oid && info?.size === config.size && info?.type === "file" &&
    info?.lastCommit?.date instanceof Date && !isNaN(info.lastCommit.date), { info });

  // downloadFile: probe with Range 0-0 through the 302, then whole and sliced reads.
  for (const d of expectations.downloads) {
    const blob = await downloadFile({ repo: expectations.repo, path: d.path, revision: d.revision, ...common });
    check(`downloadFile ${d.path} found`, blob !== null, null);
    if (blob === null) continue;
    check(`downloadFile ${d.path} size`, blob.size === d.size, { got: blob.size, want: d.size });
    const whole = Buffer.from(await blob.arrayBuffer());
    check(`downloadFile ${d.path} whole`, whole.length === d.size && sha256(whole) === d.sha256, {
      length: whole.length,
      sha256: sha256(whole),
    });
    for (const s of d.slices) {
      const part = Buffer.from(await blob.slice(s.start, s.end).arrayBuffer());
      check(`downloadFile ${d.path} slice ${s.start}-${s.end}`,
        part.length === s.end - s.start && sha256(part) === s.sha256, { length: part.length });
    }
  }

  const missing = await downloadFile({ repo: expectations.repo, path: "no/such/file.bin", ...common });
  check("downloadFile missing path is null", missing === null, null);
  await expectApiError("downloadFile gated without approval",
    downloadFile({ repo: expectations.gatedRepo, path: "config.json", hubUrl: expectations.hubUrl,
      accessToken: expectations.otherToken }), 403);
} catch (e) {
  console.log(JSON.stringify({ checks, failures, crash: String(e?.stack ?? e) }));
  process.exit(2);
}

console.log(JSON.stringify({ checks, failures }));
process.exit(failures.length === 0 ? 0 : 1);
