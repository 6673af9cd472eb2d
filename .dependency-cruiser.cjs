// Architecture rules, checked by dependency-cruiser in `npm test` (infra/bootstrap/deps.mjs runs
// them over every workspace and also proves each rule still catches a planted violation).
// Each rule says why it exists; a rule that must bend gets a new, named exception here, not a
// `// depcruise-ignore` in the code.

/** Named test-support modules: the only files a package's tests may import from another package. */
const TEST_SUPPORT = [
  // The simulated RTSP cameras (GStreamer) and a real media node, for gateway tests that need video.
  '^media-server/test/support[.]ts$',
  // The simulated GB/T 28181 platform, for gateway tests and the GB bench.
  '^infra/gb-sim/harness[.]ts$',
];

module.exports = {
  forbidden: [
    {
      name: 'protocol-is-a-leaf',
      severity: 'error',
      comment:
        'protocol is the only code shared by the services and the browser: it may depend on no other workspace, or every change there would ripple back into the shared contract.',
      from: { path: '^protocol/' },
      to: { path: '^(gateway|media-server|web|infra|bench|stream-token)/' },
    },
    {
      name: 'protocol-runs-in-browsers',
      severity: 'error',
      comment:
        'protocol is bundled into the web app: outside its Node-only subpath (gb28181, SIP and PS bytes, used by the services only) it must not import Node built-ins.',
      from: { path: '^protocol/src/', pathNot: '^protocol/src/gb28181/|[.]test[.]ts$' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'web-does-not-import-services',
      severity: 'error',
      comment:
        'The browser app talks to the gateway and media nodes over HTTP and sockets only; importing their code (or the Node-only stream-token signer) would bundle server code and secrets handling into pages and couple deploys.',
      from: { path: '^web/' },
      to: { path: '^(gateway|media-server|infra|stream-token)/' },
    },
    {
      name: 'services-do-not-import-each-other',
      severity: 'error',
      comment:
        'gateway and media-server are deployed and scaled apart; what they share goes through protocol (schemas) and the wire, never through each other’s source.',
      from: { path: '^(gateway|media-server)/src/' },
      to: { path: '^(gateway|media-server|web|infra|bench)/', pathNot: '^$1/' },
    },
    {
      name: 'tests-share-only-named-support',
      severity: 'error',
      comment:
        'Tests may reuse another package’s test helpers only through a named test-support module (TEST_SUPPORT), so that a package can reorganise its tests without breaking another’s.',
      from: { path: '^(gateway|media-server|web|infra)/(test|e2e)/' },
      to: {
        path: '^(gateway|media-server|web|infra)/',
        pathNot: ['^$1/', ...TEST_SUPPORT],
      },
    },
    {
      name: 'no-file-cycles',
      severity: 'error',
      comment:
        'Files that import each other cannot be understood, tested or moved one at a time, and their module initialisation order is fragile.',
      from: { path: '^(protocol|stream-token|gateway|media-server|web|infra)/' },
      to: { circular: true },
    },
    {
      name: 'no-gateway-feature-cycles',
      severity: 'error',
      comment:
        'A gateway feature folder (policy, registry, walls, live, …) exposes one index.ts and depends on features below it; a loop between folders means no feature can change alone.',
      scope: 'folder',
      from: { path: '^gateway/src/[^/]+$' },
      to: { path: '^gateway/src/[^/]+$', circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|[.]next|[.]data|dist)(/|$)' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      extensions: ['.ts', '.tsx', '.mts', '.js', '.mjs'],
      conditionNames: ['import', 'node', 'default'],
      exportsFields: ['exports'],
    },
  },
};
