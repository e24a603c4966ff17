// A module that reaches Node only through a dynamic import: the architecture test shows that its
// checks see such an import.
export async function joined(): Promise<string> {
  return (await import('./path-user.js')).joined;
}
