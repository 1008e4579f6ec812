// kintone's official JavaScript client (@kintone/rest-api-client, pinned in package.json)
// against the fake kintone: if the fake answered in shapes or codes kintone does not, the
// official client would fail here the way it would fail against our assumptions.
import assert from "node:assert/strict";
import { setDefaultResultOrder } from "node:dns";
import { after, before, test } from "node:test";
import { KintoneRestAPIClient, KintoneRestAPIError } from "@kintone/rest-api-client";
import { startFakeKintone } from "./fake.mjs";

// The client only allows plain http for the host name "localhost"; the fake listens on IPv4.
setDefaultResultOrder("ipv4first");

const CUSTOMERS = 1;
let fake;
let client;

before(async () => {
  fake = await startFakeKintone("tests/fixtures/fake/apps.json");
  client = new KintoneRestAPIClient({
    baseUrl: `http://localhost:${fake.port}`,
    // The products app's view token lets lookups read their source app, as in kintone.
    auth: { apiToken: ["customers-all", "products-view"] },
  });
});

after(async () => {
  await fake?.stop();
});

test("getFormFields returns kintone's properties with a string revision", async () => {
  const { properties, revision } = await client.app.getFormFields({ app: CUSTOMERS });
  assert.equal(typeof revision, "string");
  assert.equal(properties.code.unique, true);
  assert.equal(properties.seats.maxValue, "1000");
  assert.equal(properties.items.fields.qty.type, "NUMBER");
});

test("addRecord answers string ids and applies defaults", async () => {
  const { id, revision } = await client.record.addRecord({
    app: CUSTOMERS,
    record: { code: { value: "C-1" }, name: { value: "株式会社一" } },
  });
  assert.match(id, /^\d+$/);
  assert.equal(revision, "1");
  const { record } = await client.record.getRecord({ app: CUSTOMERS, id });
  assert.equal(record.plan.value, "Standard");
  assert.equal(record.$id.value, id);
  assert.equal(record["レコード番号"].value, id);
});

test("addRecords adds 100 at once, and getRecords queries them", async () => {
  const records = Array.from({ length: 100 }, (_, i) => ({
    code: { value: `B-${i}` },
    name: { value: `一括${i}` },
    seats: { value: String(i) },
  }));
  const { ids, revisions } = await client.record.addRecords({ app: CUSTOMERS, records });
  assert.equal(ids.length, 100);
  assert.ok(revisions.every((r) => r === "1"));
  const found = await client.record.getRecords({
    app: CUSTOMERS,
    query: 'seats >= 90 and code != "C-0" order by seats desc limit 5',
    fields: ["code", "seats"],
    totalCount: true,
  });
  assert.equal(found.totalCount, "10");
  assert.deepEqual(found.records.map((r) => r.seats.value), ["99", "98", "97", "96", "95"]);
  assert.deepEqual(Object.keys(found.records[0]).sort(), ["code", "seats"]);
  const all = await client.record.getAllRecords({ app: CUSTOMERS, condition: 'code in ("B-1", "B-2")' });
  assert.equal(all.length, 2);
});

test("updateRecord by updateKey, then a stale revision is a 409 GAIA_CO02", async () => {
  const { revision } = await client.record.updateRecord({
    app: CUSTOMERS,
    updateKey: { field: "code", value: "C-1" },
    record: { seats: { value: "7" } },
  });
  assert.equal(revision, "2");
  const { record } = await client.record.getRecord({ app: CUSTOMERS, id: (await idOf("C-1")) });
  assert.equal(record.seats.value, "7");
  assert.equal(record.name.value, "株式会社一");
  await assert.rejects(
    client.record.updateRecord({
      app: CUSTOMERS,
      id: await idOf("C-1"),
      revision: 1,
      record: { seats: { value: "8" } },
    }),
    (err) => {
      assert.ok(err instanceof KintoneRestAPIError);
      assert.equal(err.status, 409);
      assert.equal(err.code, "GAIA_CO02");
      return true;
    },
  );
});

test("updateRecords with upsert updates one and inserts one", async () => {
  const { records } = await client.record.updateRecords({
    app: CUSTOMERS,
    upsert: true,
    records: [
      { updateKey: { field: "code", value: "C-1" }, record: { seats: { value: "9" } } },
      { updateKey: { field: "code", value: "C-NEW" }, record: { name: { value: "新規" } } },
    ],
  });
  assert.deepEqual(records.map((r) => r.operation), ["UPDATE", "INSERT"]);
  assert.equal(records[0].revision, "3");
  assert.equal(records[1].revision, "1");
  const { record } = await client.record.getRecord({ app: CUSTOMERS, id: records[1].id });
  assert.equal(record.code.value, "C-NEW");
});

test("uploadFile, then addRecord with the fileKey, then downloadFile", async () => {
  const { fileKey } = await client.file.uploadFile({
    file: { name: "見積.txt", data: "hello kintone" },
  });
  const { id } = await client.record.addRecord({
    app: CUSTOMERS,
    record: { name: { value: "添付あり" }, attachment: { value: [{ fileKey }] } },
  });
  const { record } = await client.record.getRecord({ app: CUSTOMERS, id });
  const [file] = record.attachment.value;
  assert.equal(file.name, "見積.txt");
  assert.equal(file.size, "13");
  assert.notEqual(file.fileKey, fileKey, "an attached file gets a download key");
  const data = await client.file.downloadFile({ fileKey: file.fileKey });
  assert.equal(Buffer.from(data).toString(), "hello kintone");
});

test("lookups copy from the source app, and a missing key is GAIA_LO04", async () => {
  const { id } = await client.record.addRecord({
    app: CUSTOMERS,
    record: { name: { value: "参照" }, product: { value: "P-1" } },
  });
  const { record } = await client.record.getRecord({ app: CUSTOMERS, id });
  assert.equal(record.product_name.value, "kform Cloud");
  await assert.rejects(
    client.record.addRecord({
      app: CUSTOMERS,
      record: { name: { value: "参照" }, product: { value: "P-404" } },
    }),
    (err) => err instanceof KintoneRestAPIError && err.code === "GAIA_LO04" && err.status === 400,
  );
});

test("a validation failure is a KintoneRestAPIError with kintone's code, status and errors", async () => {
  await assert.rejects(
    client.record.addRecord({
      app: CUSTOMERS,
      record: { seats: { value: "2000" }, plan: { value: "Gold" }, code: { value: "C-0" } },
    }),
    (err) => {
      assert.ok(err instanceof KintoneRestAPIError);
      assert.equal(err.status, 400);
      assert.equal(err.code, "CB_VA01");
      assert.equal(err.message.includes("入力内容が正しくありません。"), true, err.message);
      assert.deepEqual(err.errors, {
        "record.name.value": { messages: ["必須です。"] },
        "record.seats.value": { messages: ["1000以下である必要があります。"] },
        "record.plan.value": { messages: ['"Gold"は選択肢にありません。'] },
        "record.code.value": { messages: ["値がほかのレコードと重複しています。"] },
      });
      return true;
    },
  );
});

test("bulk writes are all-or-nothing with records[i] paths", async () => {
  const before = await client.record.getRecords({ app: CUSTOMERS, totalCount: true });
  await assert.rejects(
    client.record.addRecords({
      app: CUSTOMERS,
      records: [{ name: { value: "ok" } }, { name: { value: "" } }],
    }),
    (err) => {
      assert.equal(err.code, "CB_VA01");
      assert.deepEqual(Object.keys(err.errors), ["records[1].name.value"]);
      return true;
    },
  );
  const afterCount = await client.record.getRecords({ app: CUSTOMERS, totalCount: true });
  assert.equal(afterCount.totalCount, before.totalCount);
});

test("bulkRequest runs sub-requests together and rolls all back on an error", async () => {
  const results = await client.bulkRequest({
    requests: [
      { method: "POST", api: "/k/v1/record.json", payload: { app: CUSTOMERS, record: { name: { value: "束1" } } } },
      { method: "PUT", api: "/k/v1/record.json", payload: { app: CUSTOMERS, updateKey: { field: "code", value: "C-1" }, record: { seats: { value: "1" } } } },
    ],
  });
  assert.equal(results.results.length, 2);
  assert.match(results.results[0].id, /^\d+$/);
  const countBefore = (await client.record.getRecords({ app: CUSTOMERS, totalCount: true })).totalCount;
  await assert.rejects(
    client.bulkRequest({
      requests: [
        { method: "POST", api: "/k/v1/record.json", payload: { app: CUSTOMERS, record: { name: { value: "束2" } } } },
        { method: "POST", api: "/k/v1/record.json", payload: { app: CUSTOMERS, record: {} } },
      ],
    }),
    (err) => err instanceof KintoneRestAPIError && err.code === "CB_VA01",
  );
  const countAfter = (await client.record.getRecords({ app: CUSTOMERS, totalCount: true })).totalCount;
  assert.equal(countAfter, countBefore);
});

test("deleteRecords removes records; a view-only token is GAIA_NO01", async () => {
  const id = await idOf("C-NEW");
  await client.record.deleteRecords({ app: CUSTOMERS, ids: [id] });
  assert.equal(await idOf("C-NEW"), undefined);
  const addOnly = new KintoneRestAPIClient({
    baseUrl: `http://localhost:${fake.port}`,
    auth: { apiToken: "customers-add" },
  });
  await assert.rejects(
    addOnly.record.getRecords({ app: CUSTOMERS }),
    (err) => err.status === 403 && err.code === "GAIA_NO01",
  );
});

test("password auth beats an API token, and a wrong password is CB_WA01", async () => {
  const admin = new KintoneRestAPIClient({
    baseUrl: `http://localhost:${fake.port}`,
    auth: { username: "admin", password: "secret" },
  });
  const { record } = await admin.record.getRecord({ app: CUSTOMERS, id: await idOf("C-1") });
  assert.equal(record.code.value, "C-1");
  const wrong = new KintoneRestAPIClient({
    baseUrl: `http://localhost:${fake.port}`,
    auth: { username: "admin", password: "nope" },
  });
  await assert.rejects(wrong.app.getFormFields({ app: CUSTOMERS }), (err) => err.status === 401 && err.code === "CB_WA01");
});

test("guest-space apps answer on their guest path only", async () => {
  const guest = new KintoneRestAPIClient({
    baseUrl: `http://localhost:${fake.port}`,
    auth: { apiToken: "guest-all" },
    guestSpaceId: 7,
  });
  const { id } = await guest.record.addRecord({ app: 3, record: { title: { value: "ゲスト" } } });
  assert.match(id, /^\d+$/);
  const outside = new KintoneRestAPIClient({
    baseUrl: `http://localhost:${fake.port}`,
    auth: { apiToken: "guest-all" },
  });
  await assert.rejects(outside.record.getRecords({ app: 3 }), (err) => err.code === "GAIA_IL23");
});

async function idOf(code) {
  const { records } = await client.record.getRecords({
    app: CUSTOMERS,
    query: `code = "${code}"`,
    fields: ["$id"],
  });
  return records[0]?.$id.value;
}
