declare module '*.sh' {
  const text: string;
  export default text;
}
declare module '*.php' {
  const text: string;
  export default text;
}
