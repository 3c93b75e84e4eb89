// The published Wix Members Badges client (@wix/sdk + @wix/members_badges, versions pinned in
// package-lock.json) against a running Insignia server, with only the base URL changed.
//
//   INSIGNIA_URL         base URL of the server, e.g. http://127.0.0.1:8080
//   INSIGNIA_API_KEY     a valid API key (sent as `Authorization: <key>`, as ApiKeyStrategy does)
//   INSIGNIA_MEMBER_IDS  comma-separated ids of at least two existing members
//
// Run: `npm test` in compat/, or `node --test compat/` from the repository root.
// Every badge this file creates has a title with a per-run marker and is deleted at the end.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID, randomBytes } from 'node:crypto';
import { createClient, ApiKeyStrategy } from '@wix/sdk';
import * as badges from '@wix/members_badges';

const BASE = (process.env.INSIGNIA_URL ?? '').replace(/\/+$/, '');
const KEY = process.env.INSIGNIA_API_KEY ?? '';
const MEMBERS = (process.env.INSIGNIA_MEMBER_IDS ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const CONFIGURED = Boolean(BASE && KEY && MEMBERS.length >= 2);

// Insignia's application error codes (see src/web/api/error.rs and the API contract, docs/api.md).
const CODE = {
  badgeNotFound: 'BADGE_NOT_FOUND',
  memberNotFound: 'MEMBER_NOT_FOUND',
  duplicateTitle: 'BADGE_TITLE_ALREADY_EXISTS',
  unauthenticated: 'UNAUTHENTICATED',
  permissionDenied: 'PERMISSION_DENIED',
};

// Point the client at Insignia exactly as docs/api.md documents: rewrite the Wix API host.
if (BASE) {
  const realFetch = globalThis.fetch;
  globalThis.fetch = (url, init) =>
    realFetch(String(url).replace('https://www.wixapis.com', BASE), init);
}

const makeClient = (auth) => createClient({ modules: { badges }, ...(auth ? { auth } : {}) });
const admin = makeClient(ApiKeyStrategy({ apiKey: KEY })); // Authorization: <key>
const visitor = makeClient(null); // no credentials (the client sends `Authorization: ""`)
const badKey = makeClient(ApiKeyStrategy({ apiKey: `insignia_${'0'.repeat(64)}` }));

// @wix/members_badges has no queryBadges function (only its request/response types). This is
// what a generated one would be: the same SDK request pipeline (headers, auth, error objects),
// POST /members/v3/badges/query with {filter, sort, paging} at the top level, and the client's
// id -> _id / createdDate -> _createdDate / updatedDate -> _updatedDate renaming of the response.
const RENAME = { id: '_id', createdDate: '_createdDate', updatedDate: '_updatedDate' };
function renameKeys(value) {
  if (Array.isArray(value)) return value.map(renameKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [RENAME[k] ?? k, renameKeys(v)]));
  }
  return value;
}
function queryBadgesModule(httpClient) {
  return async (query = {}) => {
    try {
      const res = await httpClient.request(() => ({
        method: 'POST',
        url: '/members/v3/badges/query',
        data: query,
        packageName: '@wix/members_badges',
        entityFqdn: 'wix.badges.v3.badge',
        methodFqn: 'com.wixpress.badges.v3.BadgesServiceV3.QueryBadges',
      }));
      return renameKeys(res.data);
    } catch (e) {
      // Generated functions expose these two; mirror them so errors read the same way.
      throw Object.assign(e, { status: e.response?.status, details: e.response?.data?.details });
    }
  };
}
const queryBadges = admin.use(queryBadgesModule);

// ---------------------------------------------------------------------------------------------

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const RFC3339_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const RUN = randomBytes(3).toString('hex'); // e.g. "a3f09c": keeps titles unique per run
const PREFIX = `Compat ${RUN}`;
const SLUG_PREFIX = `compat-${RUN}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ids = (list) => list.map((b) => b._id);
const sorted = (list) => [...list].sort();
const ours = new Set(); // every badge id this run created, for cleanup

/** Runs `fn`, expects it to throw, and checks the error as the client exposes it. */
async function expectError(fn, status, code) {
  let error;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  assert.ok(error, `expected HTTP ${status}${code ? ` ${code}` : ''}, but the call succeeded`);
  const where = `\n(error.message: ${error.message})`;
  assert.equal(error.status, status, `error.status${where}`);
  // The untransformed response is kept too: error.response = { status, data: <JSON body> }.
  assert.equal(error.response?.status, status, `error.response.status${where}`);
  if (status === 400) {
    const violations = error.details?.validationError?.fieldViolations;
    assert.ok(Array.isArray(violations) && violations.length > 0, `validationError.fieldViolations${where}`);
    for (const v of violations) {
      assert.ok(['REQUIRED_FIELD', 'MAX_LENGTH', 'FORMAT', 'OTHER'].includes(v.violatedRule), `violatedRule ${v.violatedRule}${where}`);
    }
  }
  if (code) assert.equal(error.details?.applicationError?.code, code, `error.details.applicationError.code${where}`);
  return error;
}

/** Field names of the validation violations as sent on the wire (the client may rename them). */
const wireFields = (error) =>
  (error.response?.data?.details?.validationError?.fieldViolations ?? []).map((v) => v.field);

async function allBadges() {
  const res = await admin.badges.listBadges({ paging: { limit: 1000 } });
  assert.ok(res.metadata.total <= 1000, 'test assumes at most 1,000 badges on the server');
  return res.badges;
}

function checkBadgeShape(b) {
  assert.match(b._id, UUID, '_id is a UUID');
  assert.equal('id' in b, false, 'the client renamed id to _id');
  assert.match(b._createdDate, RFC3339_MS, '_createdDate (a string: the client does not parse dates)');
  assert.match(b._updatedDate, RFC3339_MS, '_updatedDate');
  assert.equal(typeof b.permissionsEnabled, 'boolean');
  assert.match(b.backgroundColor, /^#[0-9A-F]{6}$/);
  assert.match(b.textColor, /^#[0-9A-F]{6}$/);
}

// Without a server to talk to, say so as a failure rather than passing on zero tests.
it('environment names a running Insignia, an API key and two or more members', () => {
  assert.ok(BASE, 'INSIGNIA_URL is not set (e.g. http://127.0.0.1:8080)');
  assert.ok(KEY, 'INSIGNIA_API_KEY is not set');
  assert.ok(MEMBERS.length >= 2, 'INSIGNIA_MEMBER_IDS must list two or more existing member ids, comma-separated');
});

describe('published Wix client against Insignia', { skip: !CONFIGURED && 'environment not set' }, () => {
  const m = MEMBERS.slice(0, 3); // 2 or 3 members
  let A; // "Compat <run> Alpha", custom colours
  let B; // "Compat <run> Beta", defaults
  let C; // "Compat <run> Gamma", renamed to "... Delta"

  after(async () => {
    for (const id of ours) {
      await admin.badges.deleteBadge(id).catch(() => {});
    }
  });

  // 1 -----------------------------------------------------------------------------------------
  it('createBadge returns the stored badge (uppercase colours, defaults, slug, renamed keys)', async () => {
    A = await admin.badges.createBadge({
      title: `${PREFIX} Alpha`,
      description: 'First compat badge',
      backgroundColor: '#ffd700',
      textColor: '#1a1a1a',
      icon: 'https://example.com/alpha.svg',
    });
    ours.add(A._id);
    checkBadgeShape(A);
    assert.equal(A.title, `${PREFIX} Alpha`);
    assert.equal(A.slug, `${SLUG_PREFIX}-alpha`);
    assert.equal(A.description, 'First compat badge');
    assert.equal(A.backgroundColor, '#FFD700');
    assert.equal(A.textColor, '#1A1A1A');
    assert.equal(A.icon, 'https://example.com/alpha.svg');
    assert.equal(A.permissionsEnabled, false);

    B = await admin.badges.createBadge({ title: `  ${PREFIX} Beta  ` });
    ours.add(B._id);
    checkBadgeShape(B);
    assert.equal(B.title, `${PREFIX} Beta`, 'title is trimmed');
    assert.equal(B.slug, `${SLUG_PREFIX}-beta`);
    assert.equal(B.backgroundColor, '#796EFF', 'default background');
    assert.equal(B.textColor, '#FFFFFF', 'default text colour');
    assert.equal(B.description ?? '', '');
    assert.equal(B.icon ?? '', '');
    assert.equal(B.permissionsEnabled, false);

    C = await admin.badges.createBadge({ title: `${PREFIX} Gamma`, permissionsEnabled: true });
    ours.add(C._id);
    checkBadgeShape(C);
    assert.equal(C.permissionsEnabled, true);
    assert.notEqual(A._id, B._id);
    assert.notEqual(B._id, C._id);
  });

  it('createBadge errors: empty title 400, duplicate title 409, bad colour 400, visitor 403, bad key 401', async () => {
    const empty = await expectError(() => admin.badges.createBadge({ title: '' }), 400);
    assert.ok(wireFields(empty).includes('badge.title'), `violation names badge.title: ${wireFields(empty)}`);
    assert.equal(empty.details.validationError.fieldViolations[0].violatedRule, 'REQUIRED_FIELD');

    await expectError(
      () => admin.badges.createBadge({ title: `${PREFIX} ALPHA` }), // case-insensitive clash
      409,
      CODE.duplicateTitle,
    );
    const colour = await expectError(
      () => admin.badges.createBadge({ title: `${PREFIX} Colour`, backgroundColor: 'red' }),
      400,
    );
    assert.ok(wireFields(colour).includes('badge.backgroundColor'), `${wireFields(colour)}`);
    await expectError(
      () => admin.badges.createBadge({ title: `${PREFIX} Icon`, icon: 'javascript:alert(1)' }),
      400,
    );
    await expectError(() => visitor.badges.createBadge({ title: `${PREFIX} Visitor` }), 403, CODE.permissionDenied);
    await expectError(() => badKey.badges.createBadge({ title: `${PREFIX} Bad key` }), 401, CODE.unauthenticated);
  });

  // 2 -----------------------------------------------------------------------------------------
  it('updateBadge changes only the given fields; a new title gives a new slug', async () => {
    const renamed = await admin.badges.updateBadge(C._id, { title: `${PREFIX} Delta` });
    checkBadgeShape(renamed);
    assert.equal(renamed._id, C._id);
    assert.equal(renamed.title, `${PREFIX} Delta`);
    assert.equal(renamed.slug, `${SLUG_PREFIX}-delta`);
    assert.equal(renamed.backgroundColor, C.backgroundColor);
    assert.equal(renamed.textColor, C.textColor);
    assert.equal(renamed.permissionsEnabled, true);
    assert.equal(renamed._createdDate, C._createdDate);
    assert.ok(renamed._updatedDate >= C._updatedDate);

    const described = await admin.badges.updateBadge(C._id, { description: 'Now described', textColor: '#00ff00' });
    assert.equal(described.title, `${PREFIX} Delta`, 'title untouched');
    assert.equal(described.slug, `${SLUG_PREFIX}-delta`, 'slug untouched');
    assert.equal(described.description, 'Now described');
    assert.equal(described.textColor, '#00FF00');
    C = described;
  });

  it('updateBadge errors: unknown id 404, duplicate title 409, empty title 400, visitor 403', async () => {
    await expectError(() => admin.badges.updateBadge(randomUUID(), { title: `${PREFIX} Ghost` }), 404, CODE.badgeNotFound);
    await expectError(() => admin.badges.updateBadge(C._id, { title: A.title.toLowerCase() }), 409, CODE.duplicateTitle);
    await expectError(() => admin.badges.updateBadge(C._id, { title: '   ' }), 400);
    await expectError(() => visitor.badges.updateBadge(C._id, { description: 'x' }), 403, CODE.permissionDenied);
    const still = await admin.badges.getBadge(C._id);
    assert.equal(still.title, `${PREFIX} Delta`, 'failed updates changed nothing');
    assert.equal(still.description, 'Now described');
  });

  // 3 -----------------------------------------------------------------------------------------
  it('getBadge returns the badge (also to a visitor)', async () => {
    const got = await admin.badges.getBadge(A._id);
    assert.deepEqual(got, A);
    const asVisitor = await visitor.badges.getBadge(B._id);
    assert.equal(asVisitor._id, B._id);
    assert.equal(asVisitor.title, B.title);
  });

  it('getBadge errors: unknown id 404 BADGE_NOT_FOUND, bad key 401', async () => {
    const e = await expectError(() => admin.badges.getBadge(randomUUID()), 404, CODE.badgeNotFound);
    assert.equal(typeof e.details.applicationError.description, 'string');
    assert.equal(e.response.data.details.applicationError.code, CODE.badgeNotFound, 'raw body kept');
    await expectError(() => badKey.badges.getBadge(A._id), 401, CODE.unauthenticated);
  });

  // 4 -----------------------------------------------------------------------------------------
  it('listBadges pages in display order with exact totals', async () => {
    const all = await admin.badges.listBadges({ paging: { limit: 1000 } });
    const total = all.metadata.total;
    assert.equal(all.badges.length, total);
    assert.equal(all.metadata.count, total);
    assert.equal(all.metadata.offset, 0);
    assert.deepEqual(ids(all.badges).slice(-3), [A._id, B._id, C._id], 'new badges go last');
    all.badges.forEach(checkBadgeShape);

    const page = await admin.badges.listBadges({ paging: { limit: 1, offset: total - 2 } });
    assert.deepEqual(ids(page.badges), [B._id]);
    assert.deepEqual(page.metadata, { count: 1, offset: total - 2, total });

    const defaults = await admin.badges.listBadges();
    assert.equal(defaults.badges.length, Math.min(total, 100), 'default limit 100');
    assert.equal(defaults.metadata.offset, 0);
    assert.equal(defaults.metadata.total, total);

    const pastEnd = await visitor.badges.listBadges({ paging: { limit: 10, offset: total } });
    assert.deepEqual(pastEnd.badges ?? [], []);
    assert.equal(pastEnd.metadata.total, total);

    const clamped = await admin.badges.listBadges({ paging: { limit: 5000 } });
    assert.equal(clamped.badges.length, Math.min(total, 1000), 'limit above 1,000 is clamped, not refused');
  });

  it('listBadges errors: negative offset 400, non-numeric limit 400', async () => {
    const e = await expectError(() => admin.badges.listBadges({ paging: { limit: 10, offset: -1 } }), 400);
    assert.ok(wireFields(e).some((f) => f.includes('offset')), `${wireFields(e)}`);
    await expectError(() => admin.badges.listBadges({ paging: { limit: 'many' } }), 400);
  });

  // 5 -----------------------------------------------------------------------------------------
  it('queryBadges filters ($eq, $ne, $in, $startsWith, $and, $or), sorts and pages', async () => {
    const mine = { title: { $startsWith: PREFIX } };

    const desc = await queryBadges({ filter: mine, sort: [{ fieldName: 'title', order: 'DESC' }] });
    assert.deepEqual(ids(desc.badges), [C._id, B._id, A._id]);
    assert.deepEqual(desc.metadata, { count: 3, offset: 0, total: 3 });
    desc.badges.forEach(checkBadgeShape);

    const asc = await queryBadges({ filter: mine, sort: [{ fieldName: 'slug', order: 'ASC' }] });
    assert.deepEqual(ids(asc.badges), [A._id, B._id, C._id]);

    const bare = await queryBadges({ filter: { slug: `${SLUG_PREFIX}-beta` } });
    assert.deepEqual(ids(bare.badges), [B._id]);
    const eq = await queryBadges({ filter: { title: { $eq: A.title } } });
    assert.deepEqual(ids(eq.badges), [A._id]);

    const inIds = await queryBadges({ filter: { id: { $in: [C._id, A._id] } } });
    assert.deepEqual(ids(inIds.badges), [A._id, C._id], 'no sort: display order');

    const and = await queryBadges({ filter: { $and: [mine, { title: { $ne: A.title } }] } });
    assert.deepEqual(ids(and.badges), [B._id, C._id]);

    const or = await queryBadges({
      filter: { $or: [{ slug: A.slug }, { id: C._id }] },
      sort: [{ fieldName: 'title', order: 'ASC' }],
    });
    assert.deepEqual(ids(or.badges), [A._id, C._id]);

    const paged = await queryBadges({
      filter: mine,
      sort: [{ fieldName: 'title', order: 'ASC' }],
      paging: { limit: 1, offset: 1 },
    });
    assert.deepEqual(ids(paged.badges), [B._id]);
    assert.deepEqual(paged.metadata, { count: 1, offset: 1, total: 3 });

    const none = await queryBadges({ filter: { title: `${PREFIX} Nothing` } });
    assert.deepEqual(none.badges ?? [], []);
    assert.equal(none.metadata.total, 0);
  });

  it('queryBadges errors: unsupported field or operator 400', async () => {
    await expectError(() => queryBadges({ filter: { description: 'x' } }), 400);
    await expectError(() => queryBadges({ filter: { title: { $gt: 'a' } } }), 400);
    await expectError(() => queryBadges({ filter: {}, sort: [{ fieldName: 'icon', order: 'ASC' }] }), 400);
  });

  // 6 -----------------------------------------------------------------------------------------
  it('assignBadge returns every requested member holding the badge; repeats change nothing', async () => {
    // One call per member, a little apart, so "oldest assignment first" has a defined order.
    const order = [...m].reverse();
    for (const member of order) {
      const res = await admin.badges.assignBadge(A._id, [member]);
      assert.deepEqual(res.memberIds, [member]);
      await sleep(5);
    }
    const again = await admin.badges.assignBadge(A._id, m);
    assert.deepEqual(sorted(again.memberIds), sorted(m), 'already held is not an error');

    const dup = await admin.badges.assignBadge(B._id, [m[0], m[0]]);
    assert.deepEqual(dup.memberIds, [m[0]], 'duplicate ids count once');
  });

  it('assignBadge errors: unknown member 404 (nothing assigned), unknown badge 404, empty list 400, visitor 403', async () => {
    const ghost = randomUUID();
    const e = await expectError(() => admin.badges.assignBadge(C._id, [m[0], ghost]), 404, CODE.memberNotFound);
    assert.ok(e.details.applicationError.description.includes(ghost), 'the error names the unknown member');
    const members = await admin.badges.listMembersByBadge(C._id);
    assert.deepEqual(members.memberIds ?? [], [], 'all or nothing');

    await expectError(() => admin.badges.assignBadge(randomUUID(), [m[0]]), 404, CODE.badgeNotFound);
    await expectError(() => admin.badges.assignBadge(C._id, []), 400);
    await expectError(() => visitor.badges.assignBadge(C._id, [m[0]]), 403, CODE.permissionDenied);
  });

  // 9 -----------------------------------------------------------------------------------------
  it('listMembersByBadge lists holders oldest first, paged', async () => {
    const order = [...m].reverse();
    const all = await admin.badges.listMembersByBadge(A._id);
    assert.deepEqual(all.memberIds, order);
    assert.deepEqual(all.metadata, { count: m.length, offset: 0, total: m.length });

    const page = await visitor.badges.listMembersByBadge(A._id, { paging: { limit: 1, offset: 1 } });
    assert.deepEqual(page.memberIds, [order[1]]);
    assert.deepEqual(page.metadata, { count: 1, offset: 1, total: m.length });

    const empty = await admin.badges.listMembersByBadge(C._id);
    assert.deepEqual(empty.memberIds ?? [], []);
    assert.equal(empty.metadata.total, 0);
  });

  it('listMembersByBadge errors: unknown badge 404, negative limit 400', async () => {
    await expectError(() => admin.badges.listMembersByBadge(randomUUID()), 404, CODE.badgeNotFound);
    await expectError(() => admin.badges.listMembersByBadge(A._id, { paging: { limit: -5 } }), 400);
  });

  // 10 ----------------------------------------------------------------------------------------
  it('listBadgesPerMember gives one entry per member, badge ids in display order', async () => {
    const res = await admin.badges.listBadgesPerMember(m);
    assert.equal(res.memberBadgeIds.length, m.length);
    const byMember = new Map(res.memberBadgeIds.map((e) => [e.memberId, e.badgeIds ?? []]));
    assert.deepEqual(sorted([...byMember.keys()]), sorted(m));
    const mineOnly = (list) => list.filter((id) => ours.has(id));
    assert.deepEqual(mineOnly(byMember.get(m[0])), [A._id, B._id]);
    for (const member of m.slice(1)) assert.deepEqual(mineOnly(byMember.get(member)), [A._id]);
  });

  it('listBadgesPerMember errors: empty list 400', async () => {
    await expectError(() => admin.badges.listBadgesPerMember([]), 400);
  });

  // 11 ----------------------------------------------------------------------------------------
  it('getMemberCountsPerBadge counts every badge, zeros included, in display order', async () => {
    const res = await visitor.badges.getMemberCountsPerBadge();
    const all = await allBadges();
    assert.deepEqual(res.badgeMemberCounts.map((c) => c.badgeId), ids(all), 'every badge, display order');
    const count = new Map(res.badgeMemberCounts.map((c) => [c.badgeId, c.memberCount]));
    assert.equal(count.get(A._id), m.length);
    assert.equal(count.get(B._id), 1);
    assert.equal(count.get(C._id), 0, 'zero counts are included');
  });

  it('getMemberCountsPerBadge errors: bad key 401', async () => {
    await expectError(() => badKey.badges.getMemberCountsPerBadge(), 401, CODE.unauthenticated);
  });

  // 12 ----------------------------------------------------------------------------------------
  it('updateBadgesDisplayOrder puts the listed badges first; the rest keep their relative order', async () => {
    const before = ids(await allBadges());
    const res = await admin.badges.updateBadgesDisplayOrder([C._id, B._id]);
    const expected = [C._id, B._id, ...before.filter((id) => id !== C._id && id !== B._id)];
    assert.deepEqual(ids(res.badges), expected);
    res.badges.forEach(checkBadgeShape);
    assert.deepEqual(ids(await allBadges()), expected, 'listBadges follows the new order');

    const perMember = await admin.badges.listBadgesPerMember([m[0]]);
    const held = perMember.memberBadgeIds[0].badgeIds.filter((id) => ours.has(id));
    assert.deepEqual(held, [B._id, A._id], 'member badges follow the new order');
  });

  it('updateBadgesDisplayOrder errors: unknown id 404, duplicates 400, visitor 403', async () => {
    const before = ids(await allBadges());
    await expectError(() => admin.badges.updateBadgesDisplayOrder([A._id, randomUUID()]), 404, CODE.badgeNotFound);
    await expectError(() => admin.badges.updateBadgesDisplayOrder([A._id, A._id]), 400);
    await expectError(() => visitor.badges.updateBadgesDisplayOrder([A._id]), 403, CODE.permissionDenied);
    assert.deepEqual(ids(await allBadges()), before, 'refused reorders changed nothing');
  });

  // 8 -----------------------------------------------------------------------------------------
  it('unassignBadge removes the given holders only', async () => {
    const res = await admin.badges.unassignBadge(A._id, m.slice(0, 2));
    assert.equal(res, undefined, 'the client returns nothing');
    const left = await admin.badges.listMembersByBadge(A._id);
    assert.deepEqual(left.memberIds ?? [], m.slice(2));
    const b = await admin.badges.listMembersByBadge(B._id);
    assert.deepEqual(b.memberIds, [m[0]], 'other badges untouched');
  });

  it('unassignBadge errors: unknown badge 404, empty list 400, visitor 403', async () => {
    await expectError(() => admin.badges.unassignBadge(randomUUID(), [m[0]]), 404, CODE.badgeNotFound);
    await expectError(() => admin.badges.unassignBadge(B._id, []), 400);
    await expectError(() => visitor.badges.unassignBadge(B._id, [m[0]]), 403, CODE.permissionDenied);
    const b = await admin.badges.listMembersByBadge(B._id);
    assert.deepEqual(b.memberIds, [m[0]]);
  });

  // 6 -----------------------------------------------------------------------------------------
  it('deleteBadge removes the badge and its assignments', async () => {
    const res = await admin.badges.deleteBadge(B._id);
    assert.equal(res, undefined, 'the client returns nothing');
    ours.delete(B._id);
    await expectError(() => admin.badges.getBadge(B._id), 404, CODE.badgeNotFound);
    const perMember = await admin.badges.listBadgesPerMember([m[0]]);
    assert.equal(perMember.memberBadgeIds[0].badgeIds?.includes(B._id) ?? false, false);
    const counts = await admin.badges.getMemberCountsPerBadge();
    assert.equal(counts.badgeMemberCounts.some((c) => c.badgeId === B._id), false);
    const q = await queryBadges({ filter: { title: { $startsWith: PREFIX } } });
    assert.deepEqual(sorted(ids(q.badges)), sorted([A._id, C._id]));
  });

  it('deleteBadge errors: already deleted 404, visitor 403, bad key 401', async () => {
    await expectError(() => admin.badges.deleteBadge(B._id), 404, CODE.badgeNotFound);
    await expectError(() => visitor.badges.deleteBadge(A._id), 403, CODE.permissionDenied);
    await expectError(() => badKey.badges.deleteBadge(A._id), 401, CODE.unauthenticated);
    assert.equal((await admin.badges.getBadge(A._id))._id, A._id, 'still there');
  });
});
