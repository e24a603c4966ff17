export * from './charts.js';
export { renderSvg } from './render.js';
