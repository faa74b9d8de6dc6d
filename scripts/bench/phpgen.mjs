// Text generators for the benchmark app: PHP classes with namespaces, docblocks and methods built
// from varied identifiers, plus composer.json, README, LICENSE, templates, JSON and minified JS.
// Everything is driven by an Rng, so the output is a pure function of the seed.

const WORDS = `
account action adapter address agent alias allow amount analyzer annotation argument array asset
attribute audit author auth backend bag balance batch bearer binding block body bool boot bridge
broker buffer bundle cache callback candidate cart catalog category chain channel charset check
checksum child chunk cipher claim class client clock closure code collection column command comment
compiler component config connection console constraint consumer container content context contract
controller converter cookie count country coupon credential criteria cron cursor customer data
database date debug decoder default definition delegate delivery dependency descriptor detail device
dialect digest directory discount dispatcher document domain driver dump duration element email
emitter encoder engine entity entry environment error event exception executor exporter expression
extension extractor factory failure feature field file filter finder flag flush form format formatter
fragment frame gateway generator grammar graph group guard handler hash header helper host hydrator
identifier identity image importer index info input inspector instance interval invoice issuer item
iterator job journal kernel key label language layout lexer limit line link listener loader locale
lock log logger lookup mailer manager map mapper mark marshaller matcher media member memory merger
message metadata method middleware migration mode model module monitor mutex name namespace node
normalizer notice notifier number object observer offset option order origin output owner package
page pager parameter parser part partition password path payload payment peer permission persister
pipeline placeholder platform plugin policy pool port position post preference prefix price
printer priority processor producer profile profiler property provider proxy publisher query queue
quota range rate reader receiver record redirect reference reflection region registry relation
renderer repository request resolver resource response result retry role route router rule runner
sample sanitizer scalar schema scope secret section segment selector sender sequence serializer
server service session setting shipment signal signature sink slot snapshot socket source span
spec stack stage state statement status step storage store strategy stream string subject
subscriber suffix summary supplier table tag target task template tenant term text theme ticket
timer timestamp token tokenizer topic trace tracker transaction transformer translator transport
tree trigger type unit upload uri url user validator value variable vendor version view visitor
voter warehouse watcher webhook widget worker wrapper writer zone`.trim().split(/\s+/);

const VERBS = `
add apply assert attach authorize build cache calculate cancel check clear clone close collect
compile compute configure connect convert count create decode decorate delete denormalize describe
detach detect dispatch emit enable encode ensure evaluate execute export extract fetch filter find
flush format generate get guess handle hydrate import initialize inject insert invalidate iterate
join load lock log map mark match merge migrate normalize notify open parse persist prepare process
publish purge push read rebuild receive refresh register release reload remove render replace reset
resolve restore retry revert run sanitize save schedule send serialize set sort split start stop
store submit supports sync track transform translate trigger truncate unlock unserialize update
upload validate visit warm write`.trim().split(/\s+/);

const ADJ = `
abstract active async base basic binary buffered cached chained compiled composite compound
concurrent conditional configurable contextual custom decorated default deferred delegating direct
distributed dynamic eager embedded empty encrypted extended external fallback fast filtered fixed
generic global immutable indexed inline internal lazy legacy local lockable mapped memory mutable
native nested null optional ordered paginated parallel persistent plain pooled prefixed primary
private public queued raw readonly recursive remote scoped secure shared signed simple single sorted
static streamed strict tagged temporary traceable transactional typed unique versioned virtual
weighted`.trim().split(/\s+/);

const PROSE = `
the a an this that these each every any some when if unless while before after during since until
because although however therefore otherwise instead also only already still yet always never
often sometimes usually returns contains holds describes represents provides allows ensures keeps
makes uses builds reads writes stores loads sends receives checks validates converts resolves handles
value values object objects list lists given current previous next first last new old other same
different empty full valid invalid optional required available configured registered loaded pending
default custom internal external underlying original resulting matching corresponding related
specific generic whole single multiple several many few no all both either neither is are was were
be been being has have had can could may might must should will would not in on at by for from
with without into onto over under between through about against of to as per via within across
instance class method property call request response caller user client server service application
framework library component option setting parameter argument result error exception message data
file path directory name key item entry record row column table field type format version time
date number string array map set queue stack buffer stream connection session cache token`.trim().split(/\s+/);

const FIRST = `Fabien Taylor Nicolas Jordi Sebastian Marco Graham Ryan Kevin Andreas Christophe Tobias
Pierre Jonathan Michael Guilherme Ondrej Benjamin Alexander Jeremy Matthias Kris Luis Samuel Arnaud
Anna Maria Julia Sofia Elena Nadia Ines Laura Clara Emma Hannah Lucas Mateo Oliver Daniel Nils`.trim().split(/\s+/);
const LAST = `Potencier Otwell Grekas Boggiano Bergmann Pivetta Campbell Weaver Dunglas Wouters Stof
Nordmann Schmidt Lopez Hernandez Rossi Ferrari Novak Kowalski Jansen Dubois Laurent Meyer Weber
Fischer Becker Costa Silva Santos Ivanov Petrov Nielsen Larsen Berg Holm Virtanen Korhonen`.trim().split(/\s+/);

const SYL_A = ['br', 'c', 'ch', 'd', 'f', 'g', 'gl', 'k', 'l', 'm', 'n', 'p', 'pr', 'qu', 'r', 's', 'sh', 'st', 't', 'tr', 'v', 'z', 'x', 'fl', 'pl', 'gr', 'sn', 'h', 'j', 'b', 'cr', 'dr'];
const SYL_V = ['a', 'e', 'i', 'o', 'u', 'ae', 'ia', 'io', 'ou', 'y', 'ee', 'oa', 'ai'];
const SYL_E = ['', '', 'n', 'r', 'x', 'l', 'm', 'ck', 'nt', 'st', 'rd', 'ss', 'sk', 'ph', 'th', 'ng'];

export const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);
const camel = (parts) => parts[0] + parts.slice(1).map(cap).join('');
const pascal = (parts) => parts.map(cap).join('');
const snake = (parts) => parts.join('_');

/** A pronounceable made-up word (package-specific vocabulary: product names, domain terms). */
export function pseudoWord(rng, syllables = rng.int(2, 3)) {
  let w = '';
  for (let i = 0; i < syllables; i++) w += rng.pick(SYL_A) + rng.pick(SYL_V);
  return w + rng.pick(SYL_E);
}

/** The identifier pool of one package: common words mixed with its own made-up terms. */
export class Vocab {
  constructor(rng, ownWords = 40) {
    this.rng = rng;
    this.own = Array.from({ length: ownWords }, () => pseudoWord(rng));
    // Each package leans on its own subset of the shared words (real packages have a dialect).
    this.nouns = rng.shuffle([...WORDS]).slice(0, rng.int(120, 260));
    this.verbs = rng.shuffle([...VERBS]).slice(0, rng.int(50, 110));
    this.adjs = rng.shuffle([...ADJ]).slice(0, rng.int(30, 70));
  }
  noun() {
    return this.rng.chance(0.3) ? this.rng.pick(this.own) : this.rng.pick(this.nouns);
  }
  verb() {
    return this.rng.pick(this.verbs);
  }
  adj() {
    return this.rng.pick(this.adjs);
  }
  nounParts(min = 1, max = 2) {
    const n = this.rng.int(min, max);
    const parts = [];
    if (this.rng.chance(0.25)) parts.push(this.adj());
    for (let i = 0; i < n; i++) parts.push(this.noun());
    return parts;
  }
  className() {
    const n = this.classNameRaw();
    return RESERVED.has(n.toLowerCase()) ? n + 'Type' : n;
  }
  classNameRaw() {
    const suffix = this.rng.chance(0.6) ? [this.rng.pick(['handler', 'factory', 'provider', 'resolver', 'manager', 'listener', 'builder', 'loader', 'normalizer', 'subscriber', 'repository', 'controller', 'command', 'exception', 'interface', 'trait', 'event', 'helper', 'adapter', 'collection', 'visitor', 'compiler', 'pass', 'type', 'strategy'])] : [];
    return pascal([...this.nounParts(1, 2), ...suffix]);
  }
  varName() {
    return camel(this.nounParts(1, 2));
  }
  methodName() {
    const r = this.rng.float();
    if (r < 0.55) return camel([this.verb(), ...this.nounParts(0, 2)]);
    if (r < 0.75) return camel(['get', ...this.nounParts(1, 2)]);
    if (r < 0.85) return camel(['set', ...this.nounParts(1, 2)]);
    if (r < 0.93) return camel([this.rng.pick(['is', 'has', 'can', 'should', 'supports']), ...this.nounParts(1, 2)]);
    return camel([this.verb(), this.rng.pick(['from', 'to', 'with', 'for', 'by', 'into']), ...this.nounParts(1, 1)]);
  }
  constName() {
    return snake([...this.nounParts(1, 3)]).toUpperCase();
  }
  sentence(min = 5, max = 16) {
    const n = this.rng.int(min, max);
    const w = [];
    for (let i = 0; i < n; i++) {
      const r = this.rng.float();
      w.push(r < 0.62 ? this.rng.pick(PROSE) : r < 0.84 ? this.noun() : r < 0.94 ? this.verb() + 's' : this.adj());
    }
    let s = w.join(' ');
    if (this.rng.chance(0.15)) s += ` (see ${this.rng.chance(0.5) ? `${this.className()}::${this.methodName()}()` : `https://${this.rng.pick(this.own)}.${this.rng.pick(['io', 'org', 'dev', 'com'])}/${this.rng.pick(this.nouns)}`})`;
    return cap(s) + '.';
  }
  person() {
    const f = this.rng.pick(FIRST);
    const l = this.rng.pick(LAST);
    return `${f} ${l} <${f.toLowerCase()}.${l.toLowerCase()}@${this.rng.pick(this.own)}.${this.rng.pick(['com', 'org', 'net', 'io'])}>`;
  }
}

const RESERVED = new Set(['bool', 'int', 'float', 'string', 'null', 'true', 'false', 'void', 'iterable', 'object', 'mixed', 'never', 'array', 'list', 'callable', 'static', 'self', 'parent', 'match', 'enum', 'readonly', 'resource', 'numeric', 'class', 'interface', 'trait', 'function', 'default', 'switch', 'case', 'print', 'echo', 'new', 'clone', 'exit', 'include', 'require', 'abstract', 'final', 'private', 'public', 'protected', 'global', 'empty', 'isset', 'unset', 'namespace', 'use', 'const', 'return', 'break', 'continue', 'do', 'while', 'for', 'foreach', 'if', 'else', 'elseif', 'try', 'catch', 'finally', 'throw', 'yield', 'and', 'or', 'xor', 'as', 'extends', 'implements', 'instanceof', 'insteadof', 'declare', 'goto', 'var', 'fn', 'array']);

const TYPES = ['string', 'int', 'bool', 'array', 'float', '?string', '?int', 'mixed', 'iterable', 'callable', 'object', '?array'];

function phpType(v, classes) {
  return v.rng.chance(0.35) && classes.length ? (v.rng.chance(0.2) ? '?' : '') + v.rng.pick(classes) : v.rng.pick(TYPES);
}

function literal(v, type) {
  const r = v.rng;
  const t = type.replace('?', '');
  if (t === 'int') return String(r.chance(0.5) ? r.int(0, 10) : r.int(10, 100000));
  if (t === 'float') return `${r.int(0, 999)}.${r.int(0, 99)}`;
  if (t === 'bool') return r.chance(0.5) ? 'true' : 'false';
  if (t === 'array' || t === 'iterable') return r.chance(0.5) ? '[]' : `['${v.noun()}' => ${r.int(0, 500)}, '${v.noun()}' => '${v.varName()}']`;
  if (t === 'string') return `'${r.chance(0.5) ? v.noun() : snake(v.nounParts(1, 3))}'`;
  return 'null';
}

/** One PHP statement (possibly a block), indented. */
function statement(v, ctx, indent, depth) {
  const r = v.rng;
  const pad = ' '.repeat(indent);
  const a = ctx.vars.length ? r.pick(ctx.vars) : `$this->${r.pick(ctx.props)}`;
  const prop = () => `$this->${r.pick(ctx.props)}`;
  const x = r.float();
  if (x < 0.17) {
    const nv = '$' + v.varName();
    ctx.vars.push(nv);
    const rhs = r.pick([
      () => `${prop()}->${v.methodName()}(${a})`,
      () => `${a}['${v.noun()}'] ?? ${literal(v, r.pick(TYPES))}`,
      () => `new ${r.pick(ctx.classes)}(${a}, ${literal(v, 'string')})`,
      () => `\\${r.pick(['array_map', 'array_filter', 'array_values', 'array_keys', 'count', 'trim', 'strtolower', 'implode', 'explode', 'sprintf', 'json_encode', 'is_array', 'array_merge', 'str_replace', 'preg_match', 'in_array', 'array_key_exists'])}(${a}${r.chance(0.5) ? `, ${literal(v, 'string')}` : ''})`,
      () => `self::${r.pick(ctx.consts)}`,
      () => `${a} instanceof ${r.pick(ctx.classes)} ? ${a}->${v.methodName()}() : ${literal(v, r.pick(TYPES))}`,
      () => `sprintf('${v.sentence(2, 6).replace(/'/g, '')} %s (%d)', ${a}, ${r.int(1, 99)})`,
    ])();
    return `${pad}${nv} = ${rhs};\n`;
  }
  if (x < 0.3) return `${pad}${prop()}${r.chance(0.5) ? '[]' : `['${v.noun()}']`} = ${a};\n`;
  if (x < 0.4) return `${pad}${prop()}->${v.methodName()}(${a}${r.chance(0.4) ? `, ${literal(v, r.pick(TYPES))}` : ''});\n`;
  if (x < 0.47 && ctx.hasLogger) return `${pad}$this->logger?->${r.pick(['debug', 'info', 'notice', 'warning', 'error'])}('${v.sentence(3, 9).replace(/'/g, '')}', ['${v.noun()}' => ${a}]);\n`;
  if (x < 0.52) return `${pad}// ${v.sentence(4, 14)}\n`;
  if (depth < 2 && x < 0.7) {
    const cond = r.pick([
      () => `null === ${a}`,
      () => `!${prop()}->${v.methodName()}(${a})`,
      () => `isset(${prop()}['${v.noun()}'])`,
      () => `${a} instanceof ${r.pick(ctx.classes)}`,
      () => `\\count(${prop()}) > ${r.int(0, 64)}`,
      () => `'' === ${a}`,
      () => `${a} === self::${r.pick(ctx.consts)}`,
    ])();
    let s = `${pad}if (${cond}) {\n`;
    const n = r.int(1, 3);
    for (let i = 0; i < n; i++) s += statement(v, ctx, indent + 4, depth + 1);
    if (r.chance(0.3)) s += `${pad}    throw new ${r.pick(ctx.exceptions)}(sprintf('${v.sentence(3, 10).replace(/'/g, '').replace(/\.$/, '')}: "%s".', ${a}));\n`;
    if (r.chance(0.25)) {
      s += `${pad}} else {\n`;
      s += statement(v, ctx, indent + 4, depth + 1);
    }
    return s + `${pad}}\n`;
  }
  if (depth < 2 && x < 0.8) {
    const item = '$' + v.varName();
    const key = '$' + v.rng.pick(['key', 'name', 'id', 'index', 'i', 'k', v.noun()]);
    let s = `${pad}foreach (${prop()} as ${key} => ${item}) {\n`;
    const saved = ctx.vars.length;
    ctx.vars.push(item, key);
    const n = r.int(1, 3);
    for (let i = 0; i < n; i++) s += statement(v, ctx, indent + 4, depth + 1);
    ctx.vars.length = saved;
    return s + `${pad}}\n`;
  }
  if (depth < 1 && x < 0.86) {
    let s = `${pad}try {\n`;
    s += statement(v, ctx, indent + 4, depth + 1) + statement(v, ctx, indent + 4, depth + 1);
    s += `${pad}} catch (${r.pick(ctx.exceptions)} $e) {\n`;
    s += `${pad}    throw new ${r.pick(ctx.exceptions)}('${v.sentence(3, 8).replace(/'/g, '')}', ${r.int(0, 500)}, $e);\n`;
    return s + `${pad}}\n`;
  }
  if (x < 0.93) {
    return `${pad}${a} = match (${a}) {\n${Array.from({ length: r.int(2, 4) }, () => `${pad}    '${v.noun()}' => ${literal(v, r.pick(TYPES))},\n`).join('')}${pad}    default => ${a},\n${pad}};\n`;
  }
  return `${pad}${prop()} = array_merge(${prop()}, [${literal(v, 'string')} => ${a}]);\n`;
}

function docblock(v, indent, lines) {
  const pad = ' '.repeat(indent);
  return `${pad}/**\n${lines.map((l) => (l ? `${pad} * ${l}\n` : `${pad} *\n`)).join('')}${pad} */\n`;
}

/**
 * A PHP class (or interface/trait) file of at least `targetBytes`.
 * pkg: { vendorNs, packageNs, vendorName, packageName, vocab, classes (short names in the package) }.
 */
export function phpClass(v, pkg, ns, name, targetBytes, opts = {}) {
  const r = v.rng;
  const kind = name.endsWith('Interface') ? 'interface' : name.endsWith('Trait') ? 'trait' : 'class';
  const uses = new Set();
  const nUses = r.int(1, 9);
  for (let i = 0; i < nUses; i++) {
    uses.add(r.chance(0.7) ? `${pkg.rootNs}\\${r.pick(pkg.subNs)}\\${r.pick(pkg.classes)}` : r.pick(EXTERNAL_USES));
  }
  const byShort = new Map();
  for (const u of uses) {
    const short = u.split('\\').pop();
    if (short !== name && short !== 'LoggerInterface' && !byShort.has(short)) byShort.set(short, u);
  }
  uses.clear();
  for (const u of byShort.values()) uses.add(u);
  const imported = [...byShort.keys()];
  const classes = [...new Set([...imported, ...r.shuffle([...pkg.classes]).slice(0, 6)])].filter((n) => n !== name);
  const exceptions = ['\\InvalidArgumentException', '\\RuntimeException', '\\LogicException', '\\UnexpectedValueException', `\\${pkg.rootNs}\\Exception\\${pkg.exception}`];
  const consts = [...new Set(Array.from({ length: r.int(1, 5) }, () => v.constName()))].filter((c) => c !== 'CLASS');
  if (!consts.length) consts.push('DEFAULT_NAME');
  const promoted = classes.slice(0, r.int(0, 3)).map((c) => c.charAt(0).toLowerCase() + c.slice(1));
  const props = [...new Set(Array.from({ length: r.int(2, 6) }, () => v.varName()))].filter((p) => !promoted.includes(p) && p !== 'logger');
  if (!props.length) props.push('items');
  const hasLogger = r.chance(0.35);

  let s = '<?php\n\n';
  if (r.chance(0.8)) s += 'declare(strict_types=1);\n\n';
  if (pkg.header) s += pkg.header + '\n';
  s += `namespace ${ns};\n\n`;
  for (const u of [...uses].sort()) if (!u.endsWith(`\\${name}`)) s += `use ${u};\n`;
  if (hasLogger) s += 'use Psr\\Log\\LoggerInterface;\n';
  s += '\n';
  const classDoc = [v.sentence(6, 18)];
  if (r.chance(0.6)) classDoc.push('', v.sentence(8, 24), v.sentence(5, 15));
  if (r.chance(0.7)) classDoc.push('', `@author ${pkg.author}`);
  if (r.chance(0.2)) classDoc.push('', `@internal`);
  if (r.chance(0.1)) classDoc.push(`@deprecated since ${pkg.packageName} ${r.int(1, 6)}.${r.int(0, 4)}, use ${r.pick(classes)} instead`);
  s += docblock(v, 0, classDoc);
  if (kind === 'interface') s += `interface ${name}${r.chance(0.3) ? ` extends ${r.pick(classes.filter((c) => c.endsWith('Interface')).concat(['\\Countable', '\\IteratorAggregate']))}` : ''}\n{\n`;
  else if (kind === 'trait') s += `trait ${name}\n{\n`;
  else {
    const mods = r.chance(0.3) ? 'final ' : r.chance(0.15) ? 'abstract ' : '';
    const ext = r.chance(0.35) ? ` extends ${r.pick(classes)}` : '';
    const impl = r.chance(0.45) ? ` implements ${r.shuffle(classes.slice()).slice(0, r.int(1, 2)).join(', ')}` : '';
    s += `${mods}class ${name}${ext}${impl}\n{\n`;
  }
  if (kind !== 'interface') {
    for (const c of consts) s += `    ${r.pick(['public', 'private', 'protected'])} const ${c} = ${literal(v, r.pick(['string', 'int', 'string', 'bool']))};\n`;
    s += '\n';
    for (const p of props) {
      const t = phpType(v, classes).replace(/^mixed$/, 'array').replace(/^callable$/, '?\\Closure').replace(/^iterable$/, 'array');
      s += t === 'array' && r.chance(0.5) ? `    ${r.pick(['private', 'protected'])} array $${p} = [];\n` : `    ${r.pick(['private', 'protected', 'private readonly'])} ${t} $${p};\n`;
    }
    s += '\n';
    if (hasLogger) props.push('logger');
    s += `    public function __construct(${promoted.map((n) => `private ${cap(n)} $${n}`).concat(hasLogger ? ['private ?LoggerInterface $logger = null'] : []).join(', ')})\n    {\n`;
    for (const p of props.slice(0, 2)) s += `        $this->${p} ??= ${r.chance(0.5) ? '[]' : 'null'};\n`;
    s += '    }\n';
  }
  const ctxBase = { classes: classes.length ? classes : ['self'], exceptions, consts, props, hasLogger };
  let methods = 0;
  const usedMethods = new Set();
  while (s.length < targetBytes || methods < 1) {
    methods++;
    const mname = v.methodName();
    if (usedMethods.has(mname.toLowerCase()) || mname.toLowerCase() === '__construct') continue;
    usedMethods.add(mname.toLowerCase());
    const nParams = r.int(0, 3);
    const params = [];
    for (let i = 0; i < nParams; i++) {
      const n = v.varName();
      if (!params.some((p) => p.n === n) && n !== 'this') params.push({ t: phpType(v, classes), n });
    }
    const ret = r.chance(0.15) ? 'void' : r.chance(0.1) ? 'static' : phpType(v, classes);
    const doc = [v.sentence(5, 16)];
    if (r.chance(0.4)) doc.push('', v.sentence(8, 22));
    if (params.length || ret !== 'void') doc.push('');
    for (const p of params) doc.push(`@param ${p.t} $${p.n}${r.chance(0.6) ? ' ' + v.sentence(3, 9).replace(/\.$/, '').toLowerCase() : ''}`);
    if (ret !== 'void') doc.push(`@return ${ret === 'array' ? r.pick(['array<string, mixed>', 'list<string>', `array<int, ${r.pick(classes.length ? classes : ['mixed'])}>`, 'array']) : ret}`);
    if (r.chance(0.35)) doc.push('', `@throws ${r.pick(exceptions)} ${v.sentence(3, 8).toLowerCase()}`);
    s += '\n' + docblock(v, 4, doc);
    const vis = r.chance(0.65) ? 'public' : r.chance(0.6) ? 'private' : 'protected';
    const stat = r.chance(0.1) ? ' static' : '';
    const sig = `    ${vis}${stat} function ${mname}(${params.map((p, i) => `${p.t} $${p.n}${i === params.length - 1 && r.chance(0.3) ? ` = ${literal(v, p.t)}` : ''}`).join(', ')}): ${ret}`;
    if (kind === 'interface') {
      s += `${sig.replace(/^ {4}(private|protected)/, '    public')};\n`;
      continue;
    }
    s += `${sig}\n    {\n`;
    const ctx = { ...ctxBase, vars: params.map((p) => '$' + p.n) };
    const n = r.int(2, 9);
    for (let i = 0; i < n; i++) s += statement(v, ctx, 8, 0);
    if (ret !== 'void') {
      const rv = ret === 'static' ? '$this' : ret === 'bool' ? `${ctx.vars.length ? `null !== ${r.pick(ctx.vars)}` : 'true'}` : ctx.vars.length && r.chance(0.6) ? r.pick(ctx.vars) : `$this->${r.pick(props)}`;
      s += `\n        return ${rv};\n`;
    }
    s += '    }\n';
    if (opts.maxMethods && methods >= opts.maxMethods) break;
  }
  return s + '}\n';
}

const EXTERNAL_USES = [
  'Psr\\Container\\ContainerInterface', 'Psr\\EventDispatcher\\EventDispatcherInterface', 'Psr\\Http\\Message\\RequestInterface',
  'Psr\\Http\\Message\\ResponseInterface', 'Psr\\Http\\Message\\ServerRequestInterface', 'Psr\\Cache\\CacheItemPoolInterface',
  'Psr\\SimpleCache\\CacheInterface', 'Psr\\Clock\\ClockInterface', 'Symfony\\Component\\HttpFoundation\\Request',
  'Symfony\\Component\\HttpFoundation\\Response', 'Symfony\\Contracts\\Service\\ResetInterface', 'Doctrine\\DBAL\\Connection',
  'Doctrine\\Common\\Collections\\ArrayCollection', 'Illuminate\\Support\\Collection', 'Illuminate\\Contracts\\Foundation\\Application',
];

export function composerJson(v, pkg, requires) {
  const o = {
    name: `${pkg.vendorName}/${pkg.packageName}`,
    type: v.rng.pick(['library', 'library', 'library', 'symfony-bundle', 'composer-plugin']),
    description: v.sentence(5, 12).replace(/\.$/, ''),
    keywords: Array.from({ length: v.rng.int(2, 6) }, () => v.noun()),
    homepage: `https://github.com/${pkg.vendorName}/${pkg.packageName}`,
    license: v.rng.pick(['MIT', 'MIT', 'BSD-3-Clause', 'Apache-2.0']),
    authors: Array.from({ length: v.rng.int(1, 3) }, () => {
      const [nm, mail] = v.person().split(' <');
      return { name: nm, email: mail.slice(0, -1) };
    }),
    require: Object.fromEntries([['php', `>=${v.rng.pick(['7.4', '8.0', '8.1', '8.2'])}`], ...requires.map((q) => [q, `^${v.rng.int(1, 7)}.${v.rng.int(0, 9)}`])]),
    autoload: { 'psr-4': { [`${pkg.rootNs}\\`]: 'src/' } },
    extra: { 'branch-alias': { 'dev-main': `${pkg.version.split('.').slice(0, 2).join('.')}-dev` } },
    'minimum-stability': 'dev',
  };
  return JSON.stringify(o, null, 4) + '\n';
}

export function readme(v, pkg) {
  let s = `${pkg.vendorName}/${pkg.packageName}\n${'='.repeat(pkg.vendorName.length + pkg.packageName.length + 1)}\n\n${v.sentence(8, 20)} ${v.sentence(6, 18)}\n\n`;
  s += `Installation\n------------\n\n\`\`\`bash\ncomposer require ${pkg.vendorName}/${pkg.packageName}\n\`\`\`\n\n`;
  const sections = v.rng.int(1, 5);
  for (let i = 0; i < sections; i++) {
    const title = cap(v.nounParts(1, 3).join(' '));
    s += `${title}\n${'-'.repeat(title.length)}\n\n`;
    for (let j = v.rng.int(1, 4); j > 0; j--) s += `${v.sentence(8, 24)} ${v.sentence(6, 20)} ${v.sentence(4, 14)}\n\n`;
    if (v.rng.chance(0.6)) {
      const cls = v.rng.pick(pkg.classes);
      s += `\`\`\`php\nuse ${pkg.rootNs}\\${cls};\n\n$${v.varName()} = new ${cls}(${literal(v, 'string')});\n$${v.varName()}->${v.methodName()}(${literal(v, 'array')});\n\`\`\`\n\n`;
    }
  }
  return s;
}

export function license(v, pkg, year) {
  return `Copyright (c) ${year}-present ${pkg.author.split(' <')[0]}

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is furnished
to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN
THE SOFTWARE.
`;
}

export function changelog(v, pkg, targetBytes) {
  let s = 'CHANGELOG\n=========\n\n';
  let [maj, min] = pkg.version.split('.').map(Number);
  while (s.length < targetBytes && (maj > 0 || min > 0)) {
    s += `${maj}.${min}\n---\n\n`;
    for (let i = v.rng.int(2, 8); i > 0; i--) s += ` * ${v.rng.pick(['Add', 'Deprecate', 'Fix', 'Remove', 'Allow', 'Support', 'Make'])} ${v.sentence(4, 14).toLowerCase()}\n`;
    s += '\n';
    if (min > 0) min--;
    else {
      maj--;
      min = v.rng.int(0, 4);
    }
  }
  return s;
}

/** A Blade-like template. */
export function template(v, targetBytes) {
  let s = `@extends('layouts.${v.noun()}')\n\n@section('content')\n`;
  let depth = 1;
  while (s.length < targetBytes) {
    const pad = '    '.repeat(depth);
    const r = v.rng.float();
    if (r < 0.25 && depth < 6) {
      s += `${pad}<div class="${v.noun()}-${v.noun()} ${v.adj()}">\n`;
      depth++;
    } else if (r < 0.4 && depth > 1) {
      depth--;
      s += `${'    '.repeat(depth)}</div>\n`;
    } else if (r < 0.6) s += `${pad}<p>{{ __('${v.noun()}.${snake(v.nounParts(1, 3))}') }} {{ $${v.varName()}->${v.varName()} }}</p>\n`;
    else if (r < 0.75) s += `${pad}@foreach ($${v.varName()} as $${v.varName()})\n${pad}    <li><a href="{{ route('${v.noun()}.${v.verb()}', $${v.varName()}) }}">{{ $${v.varName()} }}</a></li>\n${pad}@endforeach\n`;
    else if (r < 0.85) s += `${pad}@if ($${v.varName()})\n${pad}    <span class="badge">${v.sentence(2, 6)}</span>\n${pad}@endif\n`;
    else s += `${pad}<!-- ${v.sentence(4, 12)} -->\n`;
  }
  while (depth > 1) {
    depth--;
    s += `${'    '.repeat(depth)}</div>\n`;
  }
  return s + '@endsection\n';
}

/** Minified-looking JavaScript (compresses about 3-4x, like a real bundle). */
export function minifiedJs(v, targetBytes) {
  const parts = [];
  let len = 0;
  const ids = Array.from({ length: 400 }, () => v.rng.pick(['a', 'b', 'c', 'e', 'n', 'r', 't', 'o', 'i', 's', 'u', 'l', 'f', 'd', 'p', 'h']) + v.rng.pick(['', '', 't', 'e', 'n', 'r', '$', '_', 'o', 'i', 'A', 'B', 'M']) + (v.rng.chance(0.3) ? v.rng.int(0, 9) : ''));
  while (len < targetBytes) {
    const id = () => v.rng.pick(ids);
    const x = v.rng.float();
    let p;
    if (x < 0.3) p = `function ${id()}(${id()},${id()}){return ${id()}.${v.varName()}(${id()})?${id()}[${v.rng.int(0, 99)}]:${id()}}`;
    else if (x < 0.5) p = `var ${id()}=${id()}("${v.noun()}-${v.noun()}"),${id()}=${v.rng.int(0, 9999)};`;
    else if (x < 0.7) p = `${id()}.prototype.${v.methodName()}=function(${id()}){this.${v.varName()}=${id()}||{}};`;
    else if (x < 0.85) p = `if(!${id()}&&${id()}.${v.varName()})throw new Error("${v.sentence(2, 8)}");`;
    else p = `${id()}["${v.noun()}"]=${JSON.stringify(v.sentence(1, 4))};`;
    parts.push(p);
    len += p.length;
  }
  return parts.join('') + '\n';
}

/** Pretty-printed JSON (translations, fixtures, installed.json style). */
export function jsonData(v, targetBytes) {
  const o = {};
  let len = 0;
  while (len < targetBytes) {
    const k = `${v.noun()}.${snake(v.nounParts(1, 3))}`;
    const val = v.sentence(2, 12);
    o[k] = val;
    len += k.length + val.length + 10;
  }
  return JSON.stringify(o, null, 4) + '\n';
}

/** A PHP data file returning a big array (like symfony/intl or timezone data). */
export function phpDataArray(v, targetBytes) {
  let s = `<?php\n\nreturn [\n    'Version' => '${v.rng.int(40, 46)}.${v.rng.int(0, 9)}',\n    'Names' => [\n`;
  while (s.length < targetBytes) s += `        '${pseudoWord(v.rng, 1).toUpperCase()}${v.rng.int(0, 99)}' => '${cap(pseudoWord(v.rng))} ${cap(v.noun())}',\n`;
  return s + '    ],\n];\n';
}
