import { describe, expect, it } from 'vitest';
import { matchPath, stripBase, withBase } from '../src/lib/router';

describe('router paths', () => {
  it('strips and adds the /admin base', () => {
    expect(stripBase('/admin', '/admin')).toBe('/');
    expect(stripBase('/admin/', '/admin')).toBe('/');
    expect(stripBase('/admin/catalogue/', '/admin')).toBe('/catalogue');
    expect(stripBase('/admin/users/abc', '/admin')).toBe('/users/abc');
    expect(stripBase('/administrator', '/admin')).toBe('/administrator');
    expect(withBase('/catalogue?q=x', '/admin')).toBe('/admin/catalogue?q=x');
  });

  it('matches parameters', () => {
    expect(matchPath('/catalogue/:id', '/catalogue/TW92aWU6MQ%3D%3D')).toEqual({ id: 'TW92aWU6MQ==' });
    expect(matchPath('/catalogue/:id', '/catalogue')).toBeNull();
    expect(matchPath('/users/:id', '/catalogue/x')).toBeNull();
  });
});
