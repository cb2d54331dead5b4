import { signAsync } from "@noble/ed25519";
import { describe, expect, it } from "vitest";

import doc from "../../../docs/transparency.md?raw";
import {
  commitmentOf,
  fromBase64,
  fromHex,
  inclusionVerify,
  leafBytes,
  leafNode,
  nodeCombine,
  noteOpen,
  noteVerify,
  pathNodes,
  toHex,
  verifyGift,
  type GiftToVerify,
  type TransparencyEntry,
  type TreeNode,
} from "./verify";

// The worked example of docs/transparency.md
// (campaign_service/transparency/tests/worked_example.py).
const SEED = fromHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
const VERIFIER_KEY =
  "localhost:8080/campaigns+e5d196d3+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4";
const SALTS = [
  "c3d3a2ee0364709945918680eea7523f993c4aa005b6034c116393a51d6b94d9",
  "0202950283521680fe1d625833aeefba97735656e380b3182fc6141e3f82b601",
] as const;
const COMMITMENTS = [
  "5ac2ad20f14b38d11e61d57b86a4921072092c5beb5ac865926f2f72ed786c09",
  "da546bacbf7bfe8e1628e5cbd4d56ecdd42553aaca871dc423ef807048cc3789",
] as const;
const ENTRIES: TransparencyEntry[] = [
  {
    index: 0,
    campaign_id: 12,
    kind: "capture",
    amount: 2500,
    currency: "usd",
    occurred_at: "2025-03-01T09:30:00.000000Z",
    commitment: COMMITMENTS[0],
    refers_to: null,
  },
  {
    index: 1,
    campaign_id: 12,
    kind: "capture",
    amount: 1000,
    currency: "usd",
    occurred_at: "2025-03-01T09:31:12.345678Z",
    commitment: COMMITMENTS[1],
    refers_to: null,
  },
  {
    index: 2,
    campaign_id: 12,
    kind: "refund",
    amount: -1000,
    currency: "usd",
    occurred_at: "2025-03-02T14:00:00.500000Z",
    commitment: COMMITMENTS[1],
    refers_to: 1,
  },
];
const LEAF_HASHES = [
  "9f7121182e233149ff36dbe0ed60ff9b86b606efef4e400750879d95392cc81c",
  "813f5f640f1f3a1747214ce49db6c9c9862bc8dbc50eaa413411775605134abc",
  "af11408197f9e924aa4775dfaf6a40e99b191974b759c8a82a2dd4525d896c33",
] as const;
const NODE_1_0 = "1c99b8942b5344984edd0e83a41701b4c3881245be4a871420fecb4501fe77e1";
const ROOT = "69e606599950b2e92758c6c86adec19779b7fbb06e875813eaf61a3b5c827b71";
const CHECKPOINT =
  "localhost:8080/campaigns/12\n3\naeYGWZlQsuknWMbIat7Bl3m3+7Buh1gT6vYaO1yCe3E=\ntotal 2500 usd\n";
const NOTE =
  CHECKPOINT +
  "\n\u2014 localhost:8080/campaigns 5dGW036I34n3kpeoSkx693IGXkFKvS2/UBGMVJ2/XbRmmF" +
  "NP+U3TQsyqdyibP65Z/pdFQg4HmGeAzr1Vw40ZJ9B6hQk=\n";
const PROOF_OF_1 = {
  entry: ENTRIES[1],
  tree_size: 3,
  path: [
    { hash: LEAF_HASHES[0], sum: 2500 },
    { hash: LEAF_HASHES[2], sum: -1000 },
  ],
};

const entry1 = ENTRIES[1] as TransparencyEntry;
const GIFT: GiftToVerify = {
  checkpointNote: NOTE,
  verifierKey: VERIFIER_KEY,
  proof: PROOF_OF_1,
  entry: entry1,
  salt: SALTS[1],
  paymentId: 1042,
  campaignId: 12,
  index: 1,
  campaignCurrentAmount: 2500,
};

/** A note over `text` signed with the example key (its seed is published in the doc). */
async function signed(text: string): Promise<string> {
  const signature = await signAsync(new TextEncoder().encode(text), SEED);
  const line = new Uint8Array([...fromHex("e5d196d3"), ...signature]);
  return `${text}\n\u2014 localhost:8080/campaigns ${btoa(String.fromCharCode(...line))}\n`;
}

function failed(result: { checks: { name: string; ok: boolean }[] }): string[] {
  return result.checks.filter((check) => !check.ok).map((check) => check.name);
}

describe("the worked example", () => {
  it("is the one docs/transparency.md prints", () => {
    for (const value of [VERIFIER_KEY, ROOT, NOTE, ...SALTS, ...COMMITMENTS, ...LEAF_HASHES]) {
      expect(doc).toContain(value);
    }
    for (const entry of ENTRIES) {
      expect(doc).toContain(new TextDecoder().decode(leafBytes(entry)));
    }
  });

  it("has these leaves, nodes and root", async () => {
    const leaves = await Promise.all(ENTRIES.map(leafNode));
    expect(leaves.map((leaf) => [toHex(leaf.hash), leaf.sum])).toEqual([
      [LEAF_HASHES[0], 2500n],
      [LEAF_HASHES[1], 1000n],
      [LEAF_HASHES[2], -1000n],
    ]);
    const [leaf0, leaf1, leaf2] = leaves as [TreeNode, TreeNode, TreeNode];
    const node = await nodeCombine(leaf0, leaf1);
    expect([toHex(node.hash), node.sum]).toEqual([NODE_1_0, 3500n]);
    const root = await nodeCombine(node, leaf2);
    expect([toHex(root.hash), root.sum]).toEqual([ROOT, 2500n]);
  });

  it("has these commitments", async () => {
    expect(await commitmentOf(SALTS[0], 1041)).toBe(COMMITMENTS[0]);
    expect(await commitmentOf(SALTS[1], "1042")).toBe(COMMITMENTS[1]);
  });

  it("proves each entry's inclusion", async () => {
    const root = { hash: fromHex(ROOT), sum: 2500n };
    const paths = [
      [
        { hash: LEAF_HASHES[1], sum: 1000 },
        { hash: LEAF_HASHES[2], sum: -1000 },
      ],
      PROOF_OF_1.path,
      [{ hash: NODE_1_0, sum: 3500 }],
    ];
    for (const [index, entry] of ENTRIES.entries()) {
      const leaf = await leafNode(entry);
      const path = pathNodes(paths[index] ?? []);
      expect(await inclusionVerify(index, 3, leaf, path, root)).toBe(true);
      expect(await inclusionVerify((index + 1) % 3, 3, leaf, path, root)).toBe(false);
      expect(await inclusionVerify(index, 3, leaf, path, { ...root, sum: 2501n })).toBe(false);
    }
  });

  it("has a signed checkpoint", async () => {
    expect(await noteVerify(NOTE, VERIFIER_KEY)).toEqual({
      origin: "localhost:8080/campaigns/12",
      treeSize: 3,
      rootHash: fromHex(ROOT),
      total: 2500n,
      currency: "usd",
    });
    expect(await signed(CHECKPOINT)).toBe(NOTE);
  });

  it("verifies the gift", async () => {
    const result = await verifyGift(GIFT);

    expect(result.ok).toBe(true);
    expect(result.checks.map((check) => check.name)).toEqual([
      "signature",
      "entry",
      "commitment",
      "inclusion",
      "total",
    ]);
  });
});

describe("signed notes from other implementations", () => {
  it("opens golang.org/x/mod/sumdb/note's test note", async () => {
    const text =
      "If you think cryptography is the answer to your problem,\n" +
      "then you don't know what your problem is.\n";
    const note =
      text +
      "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqf" +
      "qdngotpRZb6KE6RyyBwJnAM=\n";
    const key = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";

    expect(await noteOpen(note, key)).toBe(text);
  });

  it("opens c2sp.org/signed-note's example", async () => {
    const note =
      "This is an example message.\n\n\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6Tf" +
      "Xppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";
    const key = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";

    expect(await noteOpen(note, key)).toBe("This is an example message.\n");
  });
});

describe("leaf bytes", () => {
  it("escape strings as RFC 8785 and write the rest as UTF-8", () => {
    const entry = { ...entry1, kind: 'é€\u{1f600}"\\/\b\t\n\f\r\x00\x1f\x7f\u2028' };

    const text = new TextDecoder().decode(leafBytes(entry));

    expect(text).toContain('"kind":"é€\u{1f600}\\"\\\\/\\b\\t\\n\\f\\r\\u0000\\u001f\x7f\u2028"');
  });

  it("refuse other shapes", () => {
    expect(() => leafBytes({ ...entry1, amount: 1.5 })).toThrow("amount");
    expect(() => leafBytes({ ...entry1, amount: 2 ** 53 })).toThrow("amount");
    expect(() => leafBytes({ ...entry1, kind: "\ud800" })).toThrow("kind");
    expect(() => leafBytes({ ...entry1, extra: 1 } as TransparencyEntry)).toThrow("exactly");
  });
});

describe("tampering is caught", () => {
  it("a changed amount", async () => {
    const entry = { ...entry1, amount: 1001 };
    const result = await verifyGift({ ...GIFT, entry, proof: { ...PROOF_OF_1, entry } });

    expect(failed(result)).toEqual(["inclusion"]);
  });

  it("a changed sum in the proof", async () => {
    const path = [
      { hash: LEAF_HASHES[0], sum: 3000 },
      { hash: LEAF_HASHES[2], sum: -1000 },
    ];
    const result = await verifyGift({ ...GIFT, proof: { ...PROOF_OF_1, path } });

    expect(failed(result)).toEqual(["inclusion"]);
  });

  it("a dropped entry (the entry at another index)", async () => {
    const entry = { ...entry1, index: 0 };
    const result = await verifyGift({ ...GIFT, entry, proof: { ...PROOF_OF_1, entry } });

    expect(failed(result)).toEqual(["entry", "inclusion"]);
  });

  it("a reordered pair (the proof of the neighbouring entry)", async () => {
    const path = [
      { hash: LEAF_HASHES[1], sum: 1000 },
      { hash: LEAF_HASHES[2], sum: -1000 },
    ];
    const result = await verifyGift({ ...GIFT, proof: { ...PROOF_OF_1, path } });

    expect(failed(result)).toEqual(["inclusion"]);
  });

  it("a forked checkpoint: signed, but not over the donor's entry", async () => {
    const forked = CHECKPOINT.replace("aeYGWZ", "AeYGWZ");
    const result = await verifyGift({ ...GIFT, checkpointNote: await signed(forked) });

    expect(failed(result)).toEqual(["inclusion"]);
  });

  it("a total that is not the campaign's", async () => {
    const raised = await signed(CHECKPOINT.replace("total 2500", "total 3500"));

    expect(failed(await verifyGift({ ...GIFT, checkpointNote: raised }))).toEqual([
      "inclusion",
      "total",
    ]);
    expect(failed(await verifyGift({ ...GIFT, campaignCurrentAmount: 3500 }))).toEqual(["total"]);
  });

  it("a bad signature", async () => {
    const line = NOTE.split("\n")[5] ?? "";
    const raw = fromBase64(line.split(" ")[2] ?? "");
    raw[10] = (raw[10] ?? 0) ^ 1;
    const note = NOTE.replace(line.split(" ")[2] ?? "", btoa(String.fromCharCode(...raw)));

    await expect(noteVerify(note, VERIFIER_KEY)).rejects.toThrow("bad signature");
    expect(failed(await verifyGift({ ...GIFT, checkpointNote: note }))).toEqual([
      "signature",
      "inclusion",
      "total",
    ]);
  });

  it("a changed checkpoint text", async () => {
    const changed = NOTE.replace("total 2500", "total 2600");

    await expect(noteVerify(changed, VERIFIER_KEY)).rejects.toThrow("bad signature");
  });

  it("a note by another key or of another campaign", async () => {
    const other = "localhost:8080/campaigns+e5d196d4+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4";
    await expect(noteVerify(NOTE, other)).rejects.toThrow("hash does not match");
    const result = await verifyGift({ ...GIFT, campaignId: 13 });
    expect(failed(result)).toEqual(["signature", "entry", "inclusion", "total"]);
  });

  it("a wrong salt or payment id", async () => {
    expect(failed(await verifyGift({ ...GIFT, salt: SALTS[0] }))).toEqual(["commitment"]);
    expect(failed(await verifyGift({ ...GIFT, paymentId: 1041 }))).toEqual(["commitment"]);
  });
});
