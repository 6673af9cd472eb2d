// Camera search with 100 000 cameras (filled in by the registry API's search once it exists).
export async function runSearch(print: (s: string) => void): Promise<Record<string, unknown>> {
  print('search: not yet measured');
  return {};
}
