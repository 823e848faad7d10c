/** The Quiver dashboard: a Preact app over the server's REST API (the page is served at /dashboard/). */
import { render } from 'preact';
import { App } from './app.js';
// uPlot's stylesheet with the page's: esbuild puts the CSS of lazily loaded modules in no file a browser asks for.
import 'uplot/dist/uPlot.min.css';
import '../styles.css';

const root = document.getElementById('root')!;
// The loading message goes: Preact adds to what the element holds.
root.replaceChildren();
render(<App />, root);
