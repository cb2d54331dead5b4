// "Verify my gift", in the browser (SPEC §3 "Transparency log"; docs/transparency.md): the signed
// checkpoint, the inclusion proof of the donor's entry, its commitment, and the checkpoint's total
// against the campaign page. The same bytes and hashes as campaign_service/transparency/tree.py.
import { verifyAsync } from "@noble/ed25519";

export interface TransparencyEntry {
  index: number;
  campaign_id: number;
  kind: string;
  amount: number;
  currency: string;
  occurred_at: string;
  commitment: string;
  refers_to: number | null;
}

/** A proof node as served: lowercase hex hash and an integer sum. */
export interface PathNode {
  hash: string;
  sum: number;
}

/** `GET /api/campaigns/{id}/transparency/proof?index=&tree_size=`. */
export interface InclusionProof {
  entry?: TransparencyEntry;
  tree_size: number;
  path: PathNode[];
}

export interface TreeNode {
  hash: Uint8Array;
  sum: bigint;
}

export interface Checkpoint {
  origin: string;
  treeSize: number;
  rootHash: Uint8Array;
  total: bigint;
  currency: string;
}

export interface Check {
  name: "signature" | "entry" | "commitment" | "inclusion" | "total";
  ok: boolean;
  detail: string;
}

export interface GiftVerification {
  ok: boolean;
  checks: Check[];
}

const encoder = new TextEncoder();
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const SIGNATURE_PREFIX = "\u2014 ";
const HEX64 = /^[0-9a-f]{64}$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const CONTROL = /[\x00-\x09\x0b-\x1f]/;

export class TransparencyError extends Error {}

// Bytes

async function sha256(data: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data));
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

export function fromHex(hex: string): Uint8Array<ArrayBuffer> {
  if (!/^([0-9a-f]{2})*$/.test(hex)) throw new TransparencyError(`not lowercase hex: ${hex}`);
  return Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new TransparencyError(`not standard base64: ${text}`);
  }
  return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((size, part) => size + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

// Leaves and nodes

function integer(value: unknown, key: string): string {
  if (typeof value !== "number" || !Number.isSafeInteger(value)) {
    throw new TransparencyError(`${key} is not an integer`);
  }
  return String(value);
}

function string(value: unknown, key: string): string {
  if (typeof value !== "string" || LONE_SURROGATE.test(value)) {
    throw new TransparencyError(`${key} is not a string`);
  }
  return JSON.stringify(value); // ECMAScript's escapes are RFC 8785's
}

/** The entry as JSON with keys sorted, no spaces, UTF-8 (RFC 8785 for these types). */
export function leafBytes(entry: TransparencyEntry): Uint8Array<ArrayBuffer> {
  const keys = Object.keys(entry).sort();
  const expected = [
    "amount",
    "campaign_id",
    "commitment",
    "currency",
    "index",
    "kind",
    "occurred_at",
    "refers_to",
  ];
  if (keys.join() !== expected.join()) {
    throw new TransparencyError(`an entry has exactly the keys ${expected.join(", ")}`);
  }
  const refersTo = entry.refers_to === null ? "null" : integer(entry.refers_to, "refers_to");
  const json =
    `{"amount":${integer(entry.amount, "amount")},` +
    `"campaign_id":${integer(entry.campaign_id, "campaign_id")},` +
    `"commitment":${string(entry.commitment, "commitment")},` +
    `"currency":${string(entry.currency, "currency")},` +
    `"index":${integer(entry.index, "index")},` +
    `"kind":${string(entry.kind, "kind")},` +
    `"occurred_at":${string(entry.occurred_at, "occurred_at")},` +
    `"refers_to":${refersTo}}`;
  return encoder.encode(json);
}

export async function leafNode(entry: TransparencyEntry): Promise<TreeNode> {
  const hash = await sha256(concat(Uint8Array.of(0), leafBytes(entry)));
  return { hash, sum: BigInt(entry.amount) };
}

/** The inner node over two children; each sum as 8 bytes, big-endian two's complement. */
export async function nodeCombine(left: TreeNode, right: TreeNode): Promise<TreeNode> {
  if (left.hash.length !== 32 || right.hash.length !== 32) {
    throw new TransparencyError("a node hash is 32 bytes");
  }
  const data = new Uint8Array(81);
  const view = new DataView(data.buffer);
  data[0] = 1;
  data.set(left.hash, 1);
  data.set(right.hash, 41);
  for (const [offset, sum] of [
    [33, left.sum],
    [73, right.sum],
  ] as const) {
    // setBigInt64 wraps silently: refuse what does not fit instead
    if (sum < INT64_MIN || sum > INT64_MAX) throw new TransparencyError("a sum exceeds 64 bits");
    view.setBigInt64(offset, sum, false);
  }
  return { hash: await sha256(data), sum: left.sum + right.sum };
}

export function pathNodes(path: PathNode[]): TreeNode[] {
  return path.map((node) => {
    if (!HEX64.test(node.hash) || !Number.isSafeInteger(node.sum)) {
      throw new TransparencyError("a path node is a 64-hex hash and an integer sum");
    }
    return { hash: fromHex(node.hash), sum: BigInt(node.sum) };
  });
}

/** RFC 9162 §2.1.3.2 with sums: whether `path` proves `leaf` is leaf `index` under `root`. */
export async function inclusionVerify(
  index: number,
  treeSize: number,
  leaf: TreeNode,
  path: TreeNode[],
  root: TreeNode,
): Promise<boolean> {
  if (!(Number.isSafeInteger(index) && index >= 0 && index < treeSize)) return false;
  let fn = BigInt(index);
  let sn = BigInt(treeSize - 1);
  let node = leaf;
  try {
    for (const sibling of path) {
      if (sn === 0n) return false;
      if (fn & 1n || fn === sn) {
        node = await nodeCombine(sibling, node);
        while (!(fn & 1n) && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      } else {
        node = await nodeCombine(node, sibling);
      }
      fn >>= 1n;
      sn >>= 1n;
    }
  } catch (error) {
    if (error instanceof TransparencyError) return false;
    throw error;
  }
  return sn === 0n && equalBytes(node.hash, root.hash) && node.sum === root.sum;
}

/** Lowercase hex SHA-256 of the ASCII text `<salt hex>:<payment id>`. */
export async function commitmentOf(salt: string, paymentId: number | string): Promise<string> {
  if (!HEX64.test(salt)) throw new TransparencyError("a salt is 64 lowercase hex characters");
  return toHex(await sha256(encoder.encode(`${salt}:${paymentId}`)));
}

// Checkpoints and signed notes (c2sp.org/tlog-checkpoint, c2sp.org/signed-note)

export function parseCheckpoint(text: string): Checkpoint {
  const lines = text.split("\n");
  const [origin = "", size = "", root = "", extension = "", end] = lines;
  const total = /^total (0|-?[1-9][0-9]*) ([a-z]{3})$/.exec(extension);
  if (lines.length !== 5 || end !== "" || !origin || !/^(0|[1-9][0-9]*)$/.test(size) || !total) {
    throw new TransparencyError("the checkpoint is not origin, size, root and total lines");
  }
  const rootHash = fromBase64(root);
  if (rootHash.length !== 32) throw new TransparencyError("the root hash is not 32 bytes");
  return {
    origin,
    treeSize: Number(size),
    rootHash,
    total: BigInt(total[1] ?? ""),
    currency: total[2] ?? "",
  };
}

interface VerifierKey {
  name: string;
  keyId: Uint8Array;
  publicKey: Uint8Array;
}

function validName(name: string): boolean {
  return name !== "" && !name.includes("+") && !/\s/u.test(name);
}

/** Parse `name+hash+base64(0x01 ‖ key)` and check the hash names this key. */
export async function parseVerifierKey(text: string): Promise<VerifierKey> {
  const first = text.indexOf("+");
  const second = text.indexOf("+", first + 1);
  const name = text.slice(0, first);
  const hash = text.slice(first + 1, second);
  if (first < 0 || second < 0 || !validName(name) || !/^[0-9a-fA-F]{8}$/.test(hash)) {
    throw new TransparencyError("the verifier key is not name+hash+key");
  }
  const key = fromBase64(text.slice(second + 1));
  if (key.length !== 33 || key[0] !== 1) {
    throw new TransparencyError("the verifier key is not an Ed25519 key");
  }
  const keyId = (await sha256(concat(encoder.encode(`${name}\n`), key))).slice(0, 4);
  if (toHex(keyId) !== hash.toLowerCase()) {
    throw new TransparencyError("the verifier key's hash does not match its name and key");
  }
  return { name, keyId, publicKey: key.slice(1) };
}

/** The note's text, once a signature by `verifierKey` verifies (lines of other keys ignored). */
export async function noteOpen(note: string, verifierKey: string): Promise<string> {
  const key = await parseVerifierKey(verifierKey);
  const split = note.lastIndexOf("\n\n");
  if (CONTROL.test(note) || split < 0 || !note.endsWith("\n") || split + 2 === note.length) {
    throw new TransparencyError("the note is not text, an empty line and signature lines");
  }
  const text = note.slice(0, split + 1);
  let verified = false;
  for (const line of note.slice(split + 2, -1).split("\n")) {
    const [name = "", signature = "", ...rest] = line.slice(SIGNATURE_PREFIX.length).split(" ");
    const raw = fromBase64(signature);
    if (!line.startsWith(SIGNATURE_PREFIX) || rest.length || !validName(name) || raw.length < 5) {
      throw new TransparencyError("the note has a malformed signature line");
    }
    if (name !== key.name || !equalBytes(raw.slice(0, 4), key.keyId)) continue;
    if (!(await verifyAsync(raw.slice(4), encoder.encode(text), key.publicKey))) {
      throw new TransparencyError(`bad signature by ${key.name}+${toHex(key.keyId)}`);
    }
    verified = true;
  }
  if (!verified) throw new TransparencyError(`no signature by ${key.name}+${toHex(key.keyId)}`);
  return text;
}

export async function noteVerify(note: string, verifierKey: string): Promise<Checkpoint> {
  return parseCheckpoint(await noteOpen(note, verifierKey));
}

// Verify my gift

export interface GiftToVerify {
  /** `GET /api/campaigns/{id}/transparency/checkpoint`. */
  checkpointNote: string;
  /** `GET /api/transparency/key` → `key`. */
  verifierKey: string;
  /** The inclusion proof of the entry at the checkpoint's tree size. */
  proof: InclusionProof;
  /** The donor's entry (as served with the proof). */
  entry: TransparencyEntry;
  /** From the receipt: `transparency.salt`, the payment id, optionally the campaign and index. */
  salt: string;
  paymentId: number | string;
  campaignId?: number;
  index?: number;
  /** The campaign page's `current_amount`. */
  campaignCurrentAmount: number;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Run every check; each reports on its own, so the page can show what failed and why. */
export async function verifyGift(gift: GiftToVerify): Promise<GiftVerification> {
  const checks: Check[] = [];
  const { entry, proof } = gift;
  let checkpoint: Checkpoint | null = null;
  try {
    const verified = await noteVerify(gift.checkpointNote, gift.verifierKey);
    const campaign = gift.campaignId ?? entry.campaign_id;
    if (!verified.origin.endsWith(`/campaigns/${campaign}`)) {
      throw new TransparencyError(`the checkpoint is of ${verified.origin}`);
    }
    checkpoint = verified;
    checks.push({
      name: "signature",
      ok: true,
      detail: `${checkpoint.origin}: ${checkpoint.treeSize} entries, signed by the platform's key`,
    });
  } catch (error) {
    checks.push({ name: "signature", ok: false, detail: message(error) });
  }

  const problems = [];
  if (entry.kind !== "capture") problems.push(`a ${entry.kind}, not a capture`);
  if (gift.index !== undefined && entry.index !== gift.index) {
    problems.push(`index ${entry.index}, the receipt says ${gift.index}`);
  }
  if (gift.campaignId !== undefined && entry.campaign_id !== gift.campaignId) {
    problems.push(`campaign ${entry.campaign_id}, the receipt says ${gift.campaignId}`);
  }
  if (checkpoint && entry.currency !== checkpoint.currency) {
    problems.push(`currency ${entry.currency}, the total is in ${checkpoint.currency}`);
  }
  checks.push({
    name: "entry",
    ok: problems.length === 0,
    detail: problems.join("; ") || `entry ${entry.index}: ${entry.amount} ${entry.currency}`,
  });

  try {
    const expected = await commitmentOf(gift.salt, gift.paymentId);
    const ok = expected === entry.commitment;
    const detail = ok
      ? "the entry's commitment is this payment's"
      : "the entry's commitment is not this payment's";
    checks.push({ name: "commitment", ok, detail });
  } catch (error) {
    checks.push({ name: "commitment", ok: false, detail: message(error) });
  }

  try {
    if (!checkpoint) throw new TransparencyError("no verified checkpoint to prove against");
    if (proof.tree_size !== checkpoint.treeSize) {
      throw new TransparencyError(`a proof for ${proof.tree_size} entries, not the checkpoint's`);
    }
    const leaf = await leafNode(entry);
    if (proof.entry && !equalBytes(leafBytes(proof.entry), leafBytes(entry))) {
      throw new TransparencyError("the proof is of another entry");
    }
    const root = { hash: checkpoint.rootHash, sum: checkpoint.total };
    const path = pathNodes(proof.path);
    const ok = await inclusionVerify(entry.index, proof.tree_size, leaf, path, root);
    const detail = ok
      ? `entry ${entry.index} is inside the checkpoint's ${checkpoint.treeSize} entries and total`
      : "the proof does not lead to the checkpoint's root and total";
    checks.push({ name: "inclusion", ok, detail });
  } catch (error) {
    checks.push({ name: "inclusion", ok: false, detail: message(error) });
  }

  if (checkpoint && Number.isSafeInteger(gift.campaignCurrentAmount)) {
    const ok = checkpoint.total === BigInt(gift.campaignCurrentAmount);
    const detail = ok
      ? `the checkpoint's total ${checkpoint.total} ${checkpoint.currency} is the campaign's`
      : `the checkpoint's total ${checkpoint.total} is not the campaign's ` +
        `${gift.campaignCurrentAmount}`;
    checks.push({ name: "total", ok, detail });
  } else {
    checks.push({ name: "total", ok: false, detail: "no verified checkpoint total to compare" });
  }
  return { ok: checks.every((check) => check.ok), checks };
}
