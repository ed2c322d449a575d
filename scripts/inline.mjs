// Build-time inliner for the pure-TS core (used by scripts/build.mjs).
//
// asc inlines the core's small functions (the shim's memory accessors, i32()/u32(), the
// immediate decoders) into the interpreter; V8 inlines only within a fixed bytecode budget per
// function, which the interpreter's hundreds of call sites exhaust. This pass does for the
// pure-TS bundle what asc does for Wasm: every call to a top-level function whose body is one
// expression (`return E;` or `E;`) is replaced by E with the arguments substituted.
//
// It works on text, guided by the TypeScript parser: each round replaces the outermost
// inlinable calls (splicing source ranges), then re-parses, until nothing changes. Safety rules:
// a parameter used exactly once may take any argument; a parameter used several times (or never)
// only an identifier or a numeric literal, so no argument is evaluated twice or dropped.
// Substituted arguments and results are parenthesised.
import ts from "typescript";

const parse = (text) => ts.createSourceFile("core-ts.js", text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);

/** Single-expression top-level functions: name → { params, template pieces, uses }. */
function findCandidates(sf) {
  const out = new Map();
  for (const stmt of sf.statements) {
    if (!ts.isFunctionDeclaration(stmt) || !stmt.name || !stmt.body || stmt.body.statements.length !== 1) continue;
    if (stmt.asteriskToken || stmt.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword)) continue;
    const only = stmt.body.statements[0];
    const expr = ts.isReturnStatement(only) ? only.expression : ts.isExpressionStatement(only) ? only.expression : undefined;
    if (!expr) continue;
    const params = stmt.parameters.map((p) => (ts.isIdentifier(p.name) && !p.initializer && !p.dotDotDotToken ? p.name.text : null));
    if (params.includes(null)) continue;
    // The body as text pieces around parameter references: [text, param, text, param, …, text].
    const refs = [];
    let forbidden = false;
    const walk = (n) => {
      if (n.kind === ts.SyntaxKind.ThisKeyword || ts.isFunctionLike(n) || (ts.isIdentifier(n) && n.text === "arguments")) forbidden = true;
      if (ts.isIdentifier(n) && params.includes(n.text) && isReference(n)) refs.push(n);
      ts.forEachChild(n, walk);
    };
    walk(expr);
    if (forbidden) continue;
    const text = sf.text;
    const start = expr.getStart(sf);
    const pieces = [];
    let at = start;
    for (const r of refs.sort((a, b) => a.getStart(sf) - b.getStart(sf))) {
      pieces.push(text.slice(at, r.getStart(sf)), r.text);
      at = r.end;
    }
    pieces.push(text.slice(at, expr.end));
    const uses = new Map(params.map((p) => [p, refs.filter((r) => r.text === p).length]));
    out.set(stmt.name.text, { params, pieces, uses });
  }
  return out;
}

function isReference(id) {
  const p = id.parent;
  if (p && ts.isPropertyAccessExpression(p) && p.name === id) return false;
  if (p && (ts.isPropertyAssignment(p) || ts.isMethodDeclaration(p)) && p.name === id) return false;
  return true;
}

export function inlineSmallFunctions(source) {
  let text = source;
  for (let round = 0; round < 16; round++) {
    const sf = parse(text);
    const candidates = findCandidates(sf);
    const edits = [];
    const visit = (node, insideFn) => {
      if (ts.isFunctionDeclaration(node) && node.name) insideFn = node.name.text;
      if (ts.isCallExpression(node) && ts.isIdentifier(node.expression)) {
        const fn = candidates.get(node.expression.text);
        if (fn && insideFn !== node.expression.text && node.arguments.length === fn.params.length) {
          const args = new Map();
          let ok = true;
          node.arguments.forEach((a, i) => {
            const simple = ts.isIdentifier(a) || ts.isNumericLiteral(a) ||
              (ts.isPrefixUnaryExpression(a) && ts.isNumericLiteral(a.operand));
            if (fn.uses.get(fn.params[i]) !== 1 && !simple) ok = false;
            args.set(fn.params[i], a.getText(sf));
          });
          if (ok) {
            const body = fn.pieces.map((p, i) => (i % 2 === 1 ? `(${args.get(p)})` : p)).join("");
            edits.push({ start: node.getStart(sf), end: node.end, text: `(${body})` });
            return; // outermost only: nested calls are handled in the next round
          }
        }
      }
      ts.forEachChild(node, (c) => visit(c, insideFn));
    };
    visit(sf, "");
    if (edits.length === 0) break;
    edits.sort((a, b) => b.start - a.start);
    for (const e of edits) text = text.slice(0, e.start) + e.text + text.slice(e.end);
  }
  return text;
}
