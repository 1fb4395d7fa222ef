// Placeholder: replaced by the Docker engine teardown.
export default async function globalTeardown(): Promise<void> {}
